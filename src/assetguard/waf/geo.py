"""Country lookup for GeoMatchStatement from a user-supplied database.

Two formats are read:

* a MaxMind **GeoLite2 Country CSV** directory (``GeoLite2-Country-Blocks-IPv4.csv``,
  ``-Blocks-IPv6.csv`` and ``-Locations-en.csv``);
* a plain CSV file with ``network,country_code`` rows (header optional).

Configure it with ``settings.waf.geoip_path`` (``ASSETGUARD_WAF__GEOIP_PATH``). Without one, an ACL
that uses GeoMatch fails to load with an error that says so.

Example::

    db = GeoDatabase.load(Path("geo.csv"))
    db.country("81.2.69.160")   # 'GB'
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
from pathlib import Path

from assetguard.core.errors import ConfigError


class GeoDatabase:
    """Sorted IP ranges → ISO country code, looked up by binary search."""

    def __init__(self, ranges: list[tuple[int, int, int, str]]) -> None:
        # (version, start, end, country) sorted by (version, start)
        ranges.sort()
        self._keys = [(v, s) for v, s, _, _ in ranges]
        self._ranges = ranges

    def country(self, address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return None
        key = (ip.version, int(ip))
        i = bisect.bisect_right(self._keys, key) - 1
        if i >= 0:
            version, start, end, cc = self._ranges[i]
            if version == ip.version and start <= int(ip) <= end:
                return cc
        return None

    @classmethod
    def load(cls, path: Path) -> GeoDatabase:
        if not path.exists():
            raise ConfigError(f"GeoIP database {path} does not exist")
        ranges: list[tuple[int, int, int, str]] = []
        if path.is_dir():
            locations: dict[str, str] = {}
            loc_files = sorted(path.glob("*Locations-en.csv"))
            if not loc_files:
                raise ConfigError(f"{path} has no GeoLite2 *-Locations-en.csv file")
            with loc_files[0].open(newline="") as fh:
                for loc in csv.DictReader(fh):
                    locations[loc["geoname_id"]] = loc.get("country_iso_code") or ""
            for blocks in sorted(path.glob("*Blocks-IPv*.csv")):
                with blocks.open(newline="") as fh:
                    for block in csv.DictReader(fh):
                        geoname = block.get("geoname_id") or block.get("registered_country_geoname_id") or ""
                        cc = locations.get(geoname)
                        if cc:
                            ranges.append(_range(block["network"], cc, f"{blocks}"))
        else:
            with path.open(newline="") as fh:
                for lineno, row in enumerate(csv.reader(fh), 1):
                    if not row or row[0].startswith("#") or row[0].strip().lower() == "network":
                        continue
                    if len(row) < 2:
                        raise ConfigError("expected network,country_code", where=f"{path}:{lineno}")
                    ranges.append(_range(row[0], row[1].strip().upper(), f"{path}:{lineno}"))
        return cls(ranges)


def _range(cidr: str, cc: str, where: str) -> tuple[int, int, int, str]:
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise ConfigError(f"{cidr!r} is not a network", where=where) from None
    return (net.version, int(net.network_address), int(net.broadcast_address), cc)
