"""The licence table behind :func:`catalog.vocab.licences.normalize_licence`.

One :class:`Licence` row per known licence: SPDX id (where SPDX has one), canonical URI,
title, openness, and the names and URLs (without scheme) it is published under. Names are
matched after folding (lower case, no accents, "license" spelled "licence").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from catalog.model import LicenceRef


@dataclass(frozen=True)
class Licence:
    """One known licence and its aliases."""

    id: str | None
    uri: str | None
    title: str
    open: bool | None
    names: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def ref(self) -> LicenceRef:
        return LicenceRef(id=self.id, uri=self.uri, title=self.title, open=self.open)


CC_PARTS = {"by": "Attribution", "sa": "ShareAlike", "nc": "NonCommercial", "nd": "NoDerivatives"}
CC_EDITION = {"4.0": " International", "3.0": " Unported", "2.5": " Generic", "2.0": " Generic"}


def cc(kind: str, version: str, port: str | None = None) -> Licence:
    """A Creative Commons licence, e.g. ``cc("by-sa", "4.0")`` → CC-BY-SA-4.0."""
    parts = kind.split("-")
    name = "-".join(CC_PARTS[p] for p in parts)
    suffix = f" {port.upper()}" if port else CC_EDITION.get(version, "")
    path = f"{kind}/{version}/" + (f"{port}/" if port else "")
    return Licence(
        id=f"CC-{kind.upper()}-{version}" + (f"-{port.upper()}" if port else ""),
        uri=f"https://creativecommons.org/licenses/{path}",
        title=f"Creative Commons {name} {version}{suffix}",
        open=not ({"nc", "nd"} & set(parts)),
    )


EU = "publications.europa.eu/resource/authority/licence/"  # EU licence authority table
DCAT_AP_DE = "dcat-ap.de/def/licenses/"  # the German DCAT-AP.de licence list

# fmt: off
CC0 = Licence(
    "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/",
    "Creative Commons Zero v1.0 Universal", True,
    names=("cc-zero", "cc0", "cc0 1.0", "cc zero", "creative commons cczero",
           "creative commons zero", "cc0 1.0 universal", "public domain dedication"),
    urls=("creativecommons.org/publicdomain/zero/1.0", "opendefinition.org/licenses/cc-zero",
          "dcat-ap.de/def/licenses/cc-zero", f"{EU}cc0"),
)
LO_1 = Licence(
    None, "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
    "Licence Ouverte / Open Licence version 1.0", True,
    names=("fr-lo", "lo-1.0", "licence ouverte 1.0", "licence ouverte v1.0", "licence ouverte v1",
           "licence ouverte version 1.0", "licence ouverte / open licence 1.0",
           "licence ouverte / open licence v1.0", "licence ouverte / open licence version 1.0",
           "open licence 1.0", "open licence v1.0"),
    urls=("etalab.gouv.fr/pages/licence_ouverte_open_licence-5899923.html",
          "etalab.gouv.fr/wp-content/uploads/2014/05/licence_ouverte.pdf"),
)

# CKAN's default licence list gives "cc-by" and "cc-by-sa" no version (title "Creative
# Commons Attribution", url opendefinition.org/licenses/cc-by). The Open Definition
# licence service resolves those to the current 4.0 licences, and Données Québec's
# scheming schema labels "cc-by" as CC-BY-4.0, so unversioned CC names mean 4.0 here.
# CKAN's "cc-nc" ("Creative Commons Non-Commercial (Any)") links to by-nc/2.0: we follow
# that link.
CC_DEFAULT_VERSION = "4.0"

LICENCES: tuple[Licence, ...] = (
    CC0,
    replace(cc("by", "4.0"), names=("cc-by", "creative commons attribution", "cc by 4.0"),
            urls=("opendefinition.org/licenses/cc-by",)),
    replace(cc("by-sa", "4.0"), names=("cc-by-sa", "creative commons attribution share-alike"),
            urls=("opendefinition.org/licenses/cc-by-sa",)),
    replace(cc("by-nc", "2.0"), names=("cc-nc", "creative commons non-commercial (any)")),
    replace(cc("by", "3.0", "igo"), names=(
        "cc-by-igo", "creative commons attribution 3.0 igo",
        "creative commons attribution for intergovernmental organisations")),
    Licence(
        "ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/",
        "Open Data Commons Open Database License v1.0", True,
        names=("odc-odbl", "odbl", "odbl-1.0", "odbl 1.0", "open database license",
               "open database license (odbl)", "licence odbl",
               "open data commons open database license (odbl)",
               "open data commons open database license"),
        urls=("opendatacommons.org/licenses/odbl", "opendatacommons.org/licenses/odbl/1.0",
              "opendatacommons.org/licenses/odbl/1-0", "opendatacommons.org/licenses/odbl/summary",
              "opendefinition.org/licenses/odc-odbl", f"{DCAT_AP_DE}odbl", f"{EU}odc_bl"),
    ),
    Licence(
        "ODC-By-1.0", "https://opendatacommons.org/licenses/by/1-0/",
        "Open Data Commons Attribution License v1.0", True,
        names=("odc-by", "odc-by-1.0", "open data commons attribution license"),
        urls=("opendatacommons.org/licenses/by", "opendatacommons.org/licenses/by/1.0",
              "opendatacommons.org/licenses/by/1-0", "opendefinition.org/licenses/odc-by",
              f"{DCAT_AP_DE}odby", f"{EU}odc_by"),
    ),
    Licence(
        "PDDL-1.0", "https://opendatacommons.org/licenses/pddl/1-0/",
        "Open Data Commons Public Domain Dedication and License v1.0", True,
        names=("odc-pddl", "pddl", "pddl-1.0",
               "open data commons public domain dedication and license (pddl)",
               "open data commons public domain dedication and license"),
        urls=("opendatacommons.org/licenses/pddl", "opendatacommons.org/licenses/pddl/1.0",
              "opendatacommons.org/licenses/pddl/1-0", "opendefinition.org/licenses/odc-pddl",
              f"{DCAT_AP_DE}odcpddl", f"{EU}odc_pddl"),
    ),
    Licence(
        "etalab-2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "Licence Ouverte / Open Licence version 2.0", True,
        names=("etalab-2.0", "lov2", "lo-2.0", "licence ouverte 2.0", "licence ouverte v2.0",
               "licence ouverte / open licence 2.0", "licence ouverte / open licence version 2.0",
               "open licence 2.0", "licence ouverte", "licence ouverte / open licence",
               "licence ouverte (etalab)", "licence etalab", "licence ouverte etalab",
               "open licence etalab"),
        urls=("etalab.gouv.fr/licence-ouverte-open-licence",
              "etalab.gouv.fr/wp-content/uploads/2017/04/etalab-licence-ouverte-v2.0.pdf"),
    ),
    LO_1,
    Licence(
        "OGL-Canada-2.0", "https://open.canada.ca/en/open-government-licence-canada",
        "Open Government Licence - Canada", True,
        names=("ca-ogl-lgo", "ogl-canada-2.0", "ogl-canada", "open government licence - canada",
               "licence du gouvernement ouvert - canada", "licence du gouvernement ouvert (canada)"),
        urls=("open.canada.ca/en/open-government-licence-canada",
              "open.canada.ca/fr/licence-du-gouvernement-ouvert-canada",
              "data.gc.ca/eng/open-government-licence-canada",
              "donnees.gc.ca/fra/licence-du-gouvernement-ouvert-canada"),
    ),
    Licence(
        "OGL-UK-3.0", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "Open Government Licence v3.0", True,
        names=("uk-ogl", "ogl-uk-3.0", "ogl", "ogl v3", "ogl v3.0", "ogl3", "uk_oglv3.0",
               "uk open government licence v3",
               "uk open government licence (ogl)", "uk open government licence",
               "open government licence", "open government licence v3.0",
               "open government licence version 3", "open government licence version 3.0"),
        urls=("nationalarchives.gov.uk/doc/open-government-licence/version/3",
              "nationalarchives.gov.uk/doc/open-government-licence",
              "nationalarchives.gov.uk/doc/open-government-licence/open-government-licence.htm",
              "reference.data.gov.uk/id/open-government-licence", f"{EU}ogl_3_0"),
    ),
    Licence(
        "OGL-UK-2.0", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
        "Open Government Licence v2.0", True,
        names=("ogl-uk-2.0", "open government licence v2.0", "ogl v2"),
        urls=("nationalarchives.gov.uk/doc/open-government-licence/version/2",),
    ),
    Licence(
        "GFDL-1.3", "https://www.gnu.org/licenses/fdl-1.3.html",
        "GNU Free Documentation License v1.3", True,
        names=("gfdl", "gfdl-1.3", "gnu free documentation license", "gnu fdl"),
        urls=("opendefinition.org/licenses/gfdl", "gnu.org/licenses/fdl-1.3.html",
              "gnu.org/licenses/fdl.html", "gnu.org/copyleft/fdl.html", f"{DCAT_AP_DE}gfdl",
              f"{EU}gnu_fdl_1_3"),
    ),
    Licence(
        "DL-DE-BY-2.0", "https://www.govdata.de/dl-de/by-2-0",
        "Data licence Germany – attribution – version 2.0", True,
        names=("dl-de-by-2.0", "dl-de/by-2-0", "datenlizenz deutschland namensnennung 2.0",
               "datenlizenz deutschland – namensnennung – version 2.0"),
        urls=("govdata.de/dl-de/by-2-0", f"{DCAT_AP_DE}dl-by-de/2.0", f"{DCAT_AP_DE}dl-de-by-2.0",
              f"{EU}dl_de_by_2_0"),
    ),
    Licence(
        "DL-DE-ZERO-2.0", "https://www.govdata.de/dl-de/zero-2-0",
        "Data licence Germany – Zero – version 2.0", True,
        names=("dl-de-zero-2.0", "dl-de/zero-2-0", "datenlizenz deutschland zero 2.0",
               "datenlizenz deutschland – zero – version 2.0"),
        urls=("govdata.de/dl-de/zero-2-0", f"{DCAT_AP_DE}dl-zero-de/2.0",
              f"{DCAT_AP_DE}dl-de-zero-2.0", f"{EU}dl_de_zero_2_0"),
    ),
    Licence(
        "MPL-2.0", "https://www.mozilla.org/en-US/MPL/2.0/", "Mozilla Public License 2.0", True,
        names=("mpl-2.0", "mozilla public license 2.0"),
        urls=("mozilla.org/mpl/2.0", "mozilla.org/en-us/mpl/2.0", f"{DCAT_AP_DE}mozilla"),
    ),
    Licence(
        None, "https://www.dati.gov.it/iodl/2.0/", "Italian Open Data License 2.0", True,
        names=("iodl", "iodl 2.0", "iodl-2.0", "italian open data license 2.0",
               "italian open data license v2.0"),
        urls=("dati.gov.it/iodl/2.0",),
    ),
    Licence(
        None, "https://novascotia.ca/opendata/licence.asp", "Nova Scotia Open Government Licence",
        True, names=("ogl_nova_scotia", "nova scotia open government licence",
                     "open government licence - nova scotia"),
        urls=("novascotia.ca/opendata/licence.asp",),
    ),
    Licence(None, "https://creativecommons.org/publicdomain/mark/1.0/", "Public Domain Mark 1.0",
             True, names=("public domain mark", "pdm"),
             urls=("creativecommons.org/publicdomain/mark/1.0", f"{DCAT_AP_DE}ccpdm/1.0",
                   f"{EU}cc_pdm_1_0")),
    Licence(None, "https://www.usa.gov/publicdomain/label/1.0/",
             "U.S. Government Work (Public Domain)", True,
             names=("usgov_works", "public domain u.s. government"),
             urls=("usa.gov/publicdomain/label/1.0",)),
    Licence(None, None, "Public Domain", True,
             names=("public domain", "domaine public", "dominio publico")),
    # CKAN's generic choices (is_okd_compliant in ckan/model/license.py decides "open").
    Licence(None, None, "Other (Open)", True, names=(
        "other-open", "autre (ouverte)", "autre (ouvert)", "outra (aberta)"),
        urls=(f"{DCAT_AP_DE}other-open",)),
    Licence(None, None, "Other (Public Domain)", True, names=(
        "other-pd", "autre (domaine public)", "outra (dominio publico)")),
    Licence(None, None, "Other (Attribution)", True, names=(
        "other-at", "autre (attribution)", "outra (atribuicao)")),
    Licence(None, None, "Other (Non-Commercial)", False, names=(
        "other-nc", "autre (non commerciale)", "autre (pas d'utilisation commerciale)",
        "outra (nao comercial)")),
    Licence(None, None, "Other (Not Open)", False, names=(
        "other-closed", "autre (non ouverte)", "autre (fermee)", "outra (nao aberta)"),
        urls=(f"{DCAT_AP_DE}other-closed",)),
    Licence(None, None, "License not specified", None, names=(
        "notspecified", "licence non specifiee", "not specified", "non specifiee",
        "licenca nao especificada")),
)
# fmt: on

# Phrases that identify a licence inside a longer text ("Soumis à la licence Etalab").
CONTAINS: tuple[tuple[str, str], ...] = (
    ("licence du gouvernement ouvert canada", "OGL-Canada-2.0"),
    ("open government licence canada", "OGL-Canada-2.0"),
    ("licence ouverte", "etalab-2.0"),
    ("etalab", "etalab-2.0"),
    ("open database licence", "ODbL-1.0"),
    ("odbl", "ODbL-1.0"),
    ("open government licence", "OGL-UK-3.0"),
)
