from collections.abc import Mapping, Sequence

from assetguard.waf.detectors.sqli_lexer import Token

def configure(
    token: type[Token],
    early_kinds: Mapping[str, str],
    late_kinds: Mapping[str, str],
    hot_words: Sequence[str],
    catalog_names: Sequence[str],
    known_operators: Sequence[str],
    comparisons: Sequence[str],
) -> None: ...
def lex_folded(
    text: str, start_quote: str = "", backslash_escapes: bool = True, skip_prose: bool = False
) -> list[Token]: ...
def configure_prefilter(
    words: Sequence[str], prefixes: Sequence[str], function_names: Sequence[str], tail_names: Sequence[str]
) -> None: ...
def may_be_sqli(lowered: str) -> bool: ...
def configure_xss(literals: Sequence[str]) -> None: ...
def may_be_xss(text: str) -> bool: ...
