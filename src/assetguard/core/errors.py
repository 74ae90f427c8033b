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
     │    └── ProviderNotConfigured  the platform has no credentials or region for the provider
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


class ProviderNotConfigured(ProviderError):
    """The platform has no configuration for the provider a request needs (no credentials, no
    region): nothing reached the provider, and the operator can fix it. The API answers 409."""


# botocore's errors for a client that cannot even sign a request, and the settings that fix each.
_AWS_SETUP = {
    "NoCredentialsError": "no AWS credentials: set aws.profile in assetguard.yaml, or AWS_ACCESS_KEY_ID and "
                          "AWS_SECRET_ACCESS_KEY, or run with an instance or task role",
    "PartialCredentialsError": "incomplete AWS credentials: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or aws.profile in assetguard.yaml",
    "ProfileNotFound": "the AWS profile named by aws.profile (or AWS_PROFILE) is not in the AWS config files",
    "NoRegionError": "no AWS region: set aws.regions in assetguard.yaml or AWS_DEFAULT_REGION",
}


def provider_error(what: str, exc: Exception) -> ProviderError:
    """The error for a failed provider call ``what``: :class:`ProviderNotConfigured` naming the setting
    when the platform lacks credentials or a region (botocore's NoCredentialsError and kin), else
    :class:`ProviderError` with the provider's own message."""
    for cls in type(exc).__mro__:
        setup = _AWS_SETUP.get(cls.__name__)
        if setup is not None and cls.__module__.startswith("botocore"):
            profile = (getattr(exc, "kwargs", None) or {}).get("profile")  # ProfileNotFound names it
            return ProviderNotConfigured(f"{what}: {setup}" + (f" (profile {profile!r})" if profile else ""))
    return ProviderError(f"{what}: {exc}")


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
