"""The enabled rules compiled into one :class:`RuleMachine`, with each target's compiled input.

``RuleSet.load(platform)`` reads the rules table; ``routes(event)`` returns what the dispatcher
needs to create delivery records: for each matching rule, each target whose ``condition`` holds
under the current settings, with the payload already computed (so a later rule edit does not
change what an in-flight delivery sends)::

    ruleset = RuleSet.from_rules(rules, settings)
    for route in ruleset.routes(event):
        print(route.rule, route.target.id, route.payload)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assetguard.core.settings import Settings
from assetguard.events.machine import RuleMachine
from assetguard.events.pattern import compile_pattern
from assetguard.events.rules import Rule, RuleTarget
from assetguard.events.transform import InputSpec, compile_input

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


def condition_holds(condition: str, settings: Settings) -> bool:
    """``smtp-configured`` / ``slack-configured`` / ``no-notifier-configured`` / ``always``."""
    smtp = bool(settings.smtp.host and settings.smtp.recipients)
    slack = bool(settings.slack.webhook_url or (settings.slack.bot_token and settings.slack.channel))
    if condition == "smtp-configured":
        return smtp
    if condition == "slack-configured":
        return slack
    if condition == "no-notifier-configured":
        return not smtp and not slack
    return True


@dataclass(frozen=True, slots=True)
class CompiledTarget:
    target: RuleTarget
    input: InputSpec


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    targets: tuple[CompiledTarget, ...]
    arn: str


@dataclass(frozen=True, slots=True)
class Route:
    rule: str
    description: str
    target: RuleTarget
    payload: Any


class RuleSet:
    def __init__(self, rules: Iterable[Rule], settings: Settings, *, account: str = "000000000000",
                 region: str = "local") -> None:
        self.settings = settings
        self.machine = RuleMachine()
        self.rules: dict[str, CompiledRule] = {}
        for rule in rules:
            if rule.state != "ENABLED":
                continue
            targets = tuple(
                CompiledTarget(t, compile_input(input=t.input, input_path=t.input_path,
                                                paths_map=t.input_transformer.input_paths_map
                                                if t.input_transformer else None,
                                                template=t.input_transformer.input_template
                                                if t.input_transformer else None))
                for t in rule.targets if condition_holds(t.condition, settings))
            arn = f"arn:assetguard:events:{region}:{account}:rule/{rule.name}"
            self.rules[rule.name] = CompiledRule(rule, targets, arn)
            self.machine.add(rule.name, compile_pattern(rule.pattern))
        self.machine.freeze()

    @classmethod
    def load(cls, platform: Platform) -> RuleSet:
        from assetguard.events.rule_store import RuleStore

        return cls([s.rule for s in RuleStore(platform).list_rules()], platform.settings)

    def matching_rules(self, event: Mapping[str, Any]) -> list[str]:
        return [str(name) for name in self.machine.match(event)]

    def routes(self, event: Mapping[str, Any]) -> list[Route]:
        out: list[Route] = []
        for name in self.matching_rules(event):
            compiled = self.rules[name]
            for ct in compiled.targets:
                try:
                    payload = ct.input.apply(event, rule_name=name, rule_arn=compiled.arn)
                except Exception as exc:  # noqa: BLE001 - a bad transformer is reported as the payload error
                    payload = {"__input_error__": str(exc)}
                out.append(Route(name, compiled.rule.description, ct.target, payload))
        return out
