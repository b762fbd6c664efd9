"""Rebuild ``claims_api/entities/data/countries.json`` from two fetched datasets.

Run by hand when the sources change (never at run time, never in tests)::

    python -m benchmarks.build_country_data MLEDOZE_COUNTRIES_JSON OWID_COUNTRIES_REGIONS_TS

* ``countries.json`` of mledoze/countries (ODbL 1.0): English common name, English
  demonyms, capital, independence, for every ISO 3166-1 alpha-2 code (and Kosovo, ``XK``).
* ``CountriesRegions.ts`` of owid/owid-grapher at commit c7402d12 (MIT at that commit):
  only its ``wikidata_uri`` column, a Wikidata fact (CC0), by alpha-2 code.

Names and official names come from pycountry at run time, not from this file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

TARGET = Path(__file__).parent.parent / "claims_api" / "entities" / "data" / "countries.json"


def main(mledoze_path: str, owid_path: str) -> None:
    source = Path(owid_path).read_text(encoding="utf-8")
    table = source.split("`", 2)[1]
    wikidata = {
        row["iso_alpha2"]: row["wikidata_uri"].rsplit("/", 1)[1]
        for row in csv.DictReader(io.StringIO(table))
        if row["iso_alpha2"] and row["wikidata_uri"]
    }
    wikidata.setdefault("XK", "Q1246")  # Kosovo: no ISO code, so no row in that table
    countries = {}
    for record in json.loads(Path(mledoze_path).read_text(encoding="utf-8")):
        code = record["cca2"]
        english = record.get("demonyms", {}).get("eng", {})
        demonyms = sorted({d for d in (english.get("m"), english.get("f")) if d})
        countries[code] = {
            "common_name": record["name"]["common"],
            "wikidata_id": wikidata.get(code),
            "demonyms": [d for d in demonyms if not re.search(r"[,/(]", d)],
            "capital": record.get("capital", [])[:1],
            "independent": bool(record.get("independent")),
        }
    TARGET.write_text(
        json.dumps(dict(sorted(countries.items())), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
