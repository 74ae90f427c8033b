"""The assetguard error tree.

Every error a user can cause derives from :class:`AssetGuardError`, so the CLI and the API
can turn it into a one-line message instead of a traceback::

    AssetGuardError
     ├── ConfigError          settings or a config file is wrong (names key and line)
     ├── ValidationError      user input (file, pattern, ACL, request) is wrong (names the place)
     ├── NotFoundError        a named thing does not exist
     ├── ConflictError        the change clashes with stored state
     ├── PluginError          unknown or duplicate plugin name, broken entry point
     ├── ProviderError        a cloud or external provider call failed
     ├── DeliveryError        a target could not deliver an event (retried, never dropped)
     └── AuthError            missing, invalid or too weak credentials
"""

from __future__ import annotations


class AssetGuardError(Exception):
    """Base of every error assetguard raises on purpose."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(AssetGuardError):
    """Settings or a configuration file is invalid."""


class ValidationError(AssetGuardError):
    """User input is invalid; ``where`` names the file, line or JSON path."""


class NotFoundError(AssetGuardError):
    """A named object does not exist."""


class ConflictError(AssetGuardError):
    """The request conflicts with stored state."""


class PluginError(AssetGuardError):
    """A plugin name is unknown or registered twice, or an entry point failed to load."""


class ProviderError(AssetGuardError):
    """An external provider (AWS, SMTP, Slack, ...) failed."""


class DeliveryError(AssetGuardError):
    """A target failed to deliver; ``retryable`` says whether a retry can help."""

    def __init__(self, message: str, *, code: str = "DeliveryFailed", retryable: bool = True,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


class AuthError(AssetGuardError):
    """Credentials are missing, invalid, revoked, or carry too weak a role."""
