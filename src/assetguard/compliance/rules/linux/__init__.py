"""Linux host rules after the KISA Unix server guide (U-01 ...), on ``AssetGuard::Host::Linux`` items."""
