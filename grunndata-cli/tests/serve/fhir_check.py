"""Parses every FHIR resource grunndata serve emitted with an independent implementation
(fhir.resources, R4B models: R4's resources unchanged for these types), and compares the
identifier and coding systems with HL7 Norway's no-basis example instances.

Usage: fhir_check.py RESOURCES.json [EXAMPLES_DIR]
RESOURCES.json is a JSON array of resources (Bundles included: their entries are checked too).
Exits 1 with the reasons when a resource does not parse or a system is not the profile's.
"""

import glob
import json
import re
import sys

from fhir.resources.R4B import get_fhir_model_class


def walk(resource):
    yield resource
    if resource.get("resourceType") == "Bundle":
        for entry in resource.get("entry", []):
            if "resource" in entry:
                yield from walk(entry["resource"])


def systems(value, found):
    """Every `system` of an identifier or coding below `value`."""
    if isinstance(value, dict):
        if "system" in value and ("value" in value or "code" in value):
            found.add(value["system"])
        for child in value.values():
            systems(child, found)
    elif isinstance(value, list):
        for child in value:
            systems(child, found)
    return found


def main():
    resources = json.load(open(sys.argv[1], encoding="utf-8"))
    failures = []
    types = {}
    emitted = set()
    for top in resources:
        for resource in walk(top):
            kind = resource["resourceType"]
            types[kind] = types.get(kind, 0) + 1
            try:
                get_fhir_model_class(kind).model_validate(resource)
            except Exception as error:  # noqa: BLE001 - report every failure
                failures.append(f"{kind}/{resource.get('id')}: {error}")
            if kind not in ("Bundle", "OperationOutcome", "CapabilityStatement"):
                systems(resource, emitted)
    if len(sys.argv) > 2:
        examples = set()
        for path in glob.glob(sys.argv[2] + "/*.xml"):
            examples.update(re.findall(r'system value="([^"]+)"', open(path, encoding="utf-8").read()))
        oids = {system for system in emitted if system.startswith("urn:oid:")}
        unknown = sorted(oids - examples)
        # 9060/7704/7426 codings and ENH/HPR/HER/FNR identifiers all appear in the examples.
        if unknown:
            failures.append(f"systems not used by any no-basis example: {unknown}")
        practitioner = {s for s in examples if s.startswith("urn:oid:2.16.578.1.12.4.1.1.")} & {
            "urn:oid:2.16.578.1.12.4.1.1.9060",
            "urn:oid:2.16.578.1.12.4.1.1.7704",
            "urn:oid:2.16.578.1.12.4.1.1.7426",
        }
        missing = sorted(practitioner - emitted)
        if missing and types.get("Practitioner"):
            failures.append(f"the Practitioner example's qualification systems not emitted: {missing}")
        print(f"compared {len(oids)} urn:oid systems with the no-basis examples")
    print("parsed:", ", ".join(f"{kind} x{count}" for kind, count in sorted(types.items())))
    if failures:
        print("\n".join(failures))
        sys.exit(1)


main()
