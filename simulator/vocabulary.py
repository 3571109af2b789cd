"""Word lists of the synthetic catalogue: Québec municipal themes, publishers, formats.

Every entry is bilingual ``(French, English)``. Frequencies are shaped for search
benchmarks: *common* words appear in nearly every record ("données", "ville"), *medium*
ones in about a tenth (a theme), subjects in about one in a hundred and the :data:`RARE`
words in about one in four thousand.
"""

from __future__ import annotations

from typing import NamedTuple


class Theme(NamedTuple):
    key: str
    label: tuple[str, str]
    eu_theme: str
    subjects: tuple[tuple[str, str], ...]
    keywords: tuple[tuple[str, str], ...]


# fmt: off
THEMES: tuple[Theme, ...] = (
    Theme("transport", ("Transport", "Transportation"), "TRAN", (
        ("Arrêts d'autobus", "Bus stops"),
        ("Pistes cyclables", "Bike paths"),
        ("Feux de circulation", "Traffic lights"),
        ("Stationnements publics", "Public parking"),
        ("Comptages de véhicules", "Vehicle counts"),
        ("Entraves à la circulation", "Road closures"),
        ("Bornes de recharge électrique", "Electric charging stations"),
        ("Déneigement des rues", "Street snow removal"),
    ), (("mobilité", "mobility"), ("autobus", "bus"), ("vélo", "cycling"), ("circulation", "traffic"))),
    Theme("environnement", ("Environnement", "Environment"), "ENVI", (
        ("Qualité de l'air", "Air quality"),
        ("Arbres publics", "Public trees"),
        ("Collectes des matières résiduelles", "Waste collection"),
        ("Écocentres", "Eco-centres"),
        ("Qualité de l'eau des plages", "Beach water quality"),
        ("Îlots de chaleur", "Heat islands"),
        ("Milieux humides", "Wetlands"),
        ("Consommation d'eau potable", "Drinking water consumption"),
    ), (("environnement", "environment"), ("arbres", "trees"), ("recyclage", "recycling"), ("eau", "water"))),
    Theme("culture", ("Culture", "Culture"), "EDUC", (
        ("Bibliothèques municipales", "Municipal libraries"),
        ("Œuvres d'art public", "Public art works"),
        ("Salles de spectacle", "Performance halls"),
        ("Patrimoine bâti", "Built heritage"),
        ("Événements culturels", "Cultural events"),
        ("Prêts de documents", "Document loans"),
        ("Murales", "Murals"),
        ("Lieux de culte", "Places of worship"),
    ), (("culture", "culture"), ("patrimoine", "heritage"), ("bibliothèque", "library"), ("arts", "arts"))),
    Theme("finances", ("Finances", "Finance"), "GOVE", (
        ("Budget de fonctionnement", "Operating budget"),
        ("Contrats octroyés", "Awarded contracts"),
        ("Rôle d'évaluation foncière", "Property assessment roll"),
        ("Dépenses par arrondissement", "Spending by borough"),
        ("Taxes municipales", "Municipal taxes"),
        ("Dette à long terme", "Long-term debt"),
        ("Subventions aux organismes", "Grants to organizations"),
        ("Programme triennal d'immobilisations", "Three-year capital programme"),
    ), (("finances", "finance"), ("budget", "budget"), ("contrats", "contracts"), ("taxes", "taxes"))),
    Theme("loisirs", ("Sports et loisirs", "Sports and recreation"), "SOCI", (
        ("Parcs et espaces verts", "Parks and green spaces"),
        ("Patinoires extérieures", "Outdoor skating rinks"),
        ("Piscines et pataugeoires", "Pools and wading pools"),
        ("Terrains de sport", "Sports fields"),
        ("Sentiers de ski de fond", "Cross-country ski trails"),
        ("Jardins communautaires", "Community gardens"),
        ("Aires de jeux", "Playgrounds"),
        ("Activités de loisirs", "Recreational activities"),
    ), (("loisirs", "recreation"), ("parcs", "parks"), ("sports", "sports"), ("hiver", "winter"))),
    Theme("securite", ("Sécurité publique", "Public safety"), "JUST", (
        ("Interventions des pompiers", "Fire department interventions"),
        ("Actes criminels", "Criminal acts"),
        ("Collisions routières", "Road collisions"),
        ("Bornes d'incendie", "Fire hydrants"),
        ("Appels au 911", "911 calls"),
        ("Zones inondables", "Flood zones"),
        ("Casernes de pompiers", "Fire stations"),
        ("Avis d'ébullition", "Boil-water advisories"),
    ), (("sécurité", "safety"), ("incendie", "fire"), ("police", "police"), ("urgence", "emergency"))),
    Theme("urbanisme", ("Urbanisme", "Urban planning"), "REGI", (
        ("Permis de construction", "Building permits"),
        ("Zonage", "Zoning"),
        ("Limites des arrondissements", "Borough boundaries"),
        ("Adresses civiques", "Civic addresses"),
        ("Lots cadastraux", "Cadastral lots"),
        ("Bâtiments municipaux", "Municipal buildings"),
        ("Plan d'urbanisme", "Urban plan"),
        ("Ruelles", "Laneways"),
    ), (("urbanisme", "planning"), ("permis", "permits"), ("zonage", "zoning"), ("cadastre", "cadastre"))),
    Theme("sante", ("Santé", "Health"), "HEAL", (
        ("Cliniques de vaccination", "Vaccination clinics"),
        ("Inspections des aliments", "Food inspections"),
        ("Installations de santé", "Health facilities"),
        ("Piqûres de tiques", "Tick bites"),
        ("Herbe à poux", "Ragweed"),
        ("Punaises de lit", "Bed bugs"),
        ("Défibrillateurs", "Defibrillators"),
        ("Indicateurs de santé", "Health indicators"),
    ), (("santé", "health"), ("inspection", "inspection"), ("prévention", "prevention"), ("hygiène", "hygiene"))),
    Theme("education", ("Éducation", "Education"), "EDUC", (
        ("Écoles primaires", "Elementary schools"),
        ("Centres de la petite enfance", "Early childhood centres"),
        ("Camps de jour", "Day camps"),
        ("Aide aux devoirs", "Homework help"),
        ("Inscriptions scolaires", "School enrolments"),
        ("Corridors scolaires", "School corridors"),
        ("Cégeps et universités", "Colleges and universities"),
        ("Brigadiers scolaires", "School crossing guards"),
    ), (("éducation", "education"), ("écoles", "schools"), ("enfants", "children"), ("jeunesse", "youth"))),
    Theme("demographie", ("Population et démographie", "Population and demographics"), "SOCI", (
        ("Recensement", "Census"),
        ("Estimations de population", "Population estimates"),
        ("Ménages", "Households"),
        ("Immigration", "Immigration"),
        ("Langues parlées", "Languages spoken"),
        ("Revenu des ménages", "Household income"),
        ("Âge médian", "Median age"),
        ("Projections démographiques", "Demographic projections"),
    ), (("population", "population"), ("démographie", "demographics"), ("recensement", "census"), ("ménages", "households"))),
)


class Place(NamedTuple):
    slug: str
    name: tuple[str, str]
    bbox: tuple[float, float, float, float]  # west, south, east, north
    host: str


PLACES: tuple[Place, ...] = (
    Place("ville-de-quebec", ("Ville de Québec", "Québec City"), (-71.55, 46.73, -71.13, 46.98), "donneesquebec.ca"),
    Place("ville-de-montreal", ("Ville de Montréal", "City of Montréal"), (-73.98, 45.41, -73.47, 45.70), "donnees.montreal.ca"),
    Place("ville-de-laval", ("Ville de Laval", "City of Laval"), (-73.89, 45.52, -73.52, 45.70), "donnees.laval.ca"),
    Place("ville-de-gatineau", ("Ville de Gatineau", "City of Gatineau"), (-75.95, 45.40, -75.45, 45.62), "gatineau.ca"),
    Place("ville-de-longueuil", ("Ville de Longueuil", "City of Longueuil"), (-73.52, 45.45, -73.35, 45.60), "longueuil.quebec"),
    Place("ville-de-sherbrooke", ("Ville de Sherbrooke", "City of Sherbrooke"), (-72.05, 45.32, -71.80, 45.48), "sherbrooke.ca"),
    Place("ville-de-saguenay", ("Ville de Saguenay", "City of Saguenay"), (-71.35, 48.30, -70.75, 48.52), "ville.saguenay.ca"),
    Place("ville-de-levis", ("Ville de Lévis", "City of Lévis"), (-71.40, 46.60, -70.95, 46.83), "ville.levis.qc.ca"),
    Place("ville-de-trois-rivieres", ("Ville de Trois-Rivières", "City of Trois-Rivières"), (-72.75, 46.28, -72.45, 46.45), "v3r.net"),
    Place("ville-de-terrebonne", ("Ville de Terrebonne", "City of Terrebonne"), (-73.80, 45.65, -73.55, 45.80), "ville.terrebonne.qc.ca"),
    Place("ville-de-rimouski", ("Ville de Rimouski", "City of Rimouski"), (-68.70, 48.35, -68.35, 48.50), "ville.rimouski.qc.ca"),
    Place("ville-de-drummondville", ("Ville de Drummondville", "City of Drummondville"), (-72.60, 45.82, -72.35, 45.95), "drummondville.ca"),
)

BOROUGHS: tuple[str, ...] = (
    "La Cité-Limoilou", "Les Rivières", "Sainte-Foy–Sillery–Cap-Rouge", "Charlesbourg",
    "Beauport", "La Haute-Saint-Charles", "Ahuntsic-Cartierville", "Rosemont–La Petite-Patrie",
    "Le Plateau-Mont-Royal", "Verdun", "Chomedey", "Vieux-Longueuil", "Hull", "Aylmer",
    "Fleurimont", "Chicoutimi", "Jonquière", "Desjardins", "Cap-de-la-Madeleine",
)

SOURCES: tuple[tuple[str, str], ...] = (
    ("du Service des technologies de l'information", "the Information Technology Department"),
    ("du Service de l'environnement", "the Environment Department"),
    ("de la Division de la géomatique", "the Geomatics Division"),
    ("du Service des finances", "the Finance Department"),
    ("du Service de police", "the Police Department"),
    ("du Service de la culture et du patrimoine", "the Culture and Heritage Department"),
    ("du Bureau de la transition écologique", "the Office of Ecological Transition"),
)

FILLER: tuple[tuple[str, str], ...] = (
    ("Chaque enregistrement comporte un identifiant unique et des coordonnées géographiques.",
     "Each record has a unique identifier and geographic coordinates."),
    ("Les coordonnées sont exprimées dans le système de référence NAD83 / MTM zone 7.",
     "Coordinates use the NAD83 / MTM zone 7 reference system."),
    ("Certaines valeurs peuvent être manquantes pour les années antérieures à 2015.",
     "Some values may be missing for years before 2015."),
    ("La ville ne garantit pas l'exactitude des données et ne peut être tenue responsable de leur utilisation.",
     "The city does not guarantee the accuracy of the data and cannot be held liable for its use."),
    ("Un dictionnaire de données accompagne le jeu de données et décrit chacun des attributs.",
     "A data dictionary accompanies the dataset and describes each attribute."),
    ("Les données personnelles ont été retirées conformément à la Loi sur l'accès aux documents.",
     "Personal information was removed in accordance with the Access to Documents Act."),
    ("Pour toute question, veuillez communiquer avec l'équipe des données ouvertes.",
     "For any question, please contact the open data team."),
    ("Les fichiers historiques sont conservés dans les ressources archivées.",
     "Historical files are kept in the archived resources."),
    ("La méthodologie de collecte a été révisée en 2021 afin d'uniformiser les catégories.",
     "The collection methodology was revised in 2021 to harmonize categories."),
    ("Ces données alimentent le tableau de bord municipal publié chaque trimestre.",
     "These data feed the municipal dashboard published every quarter."),
)

RARE: tuple[tuple[str, str], ...] = (
    ("esturgeon", "sturgeon"), ("funiculaire", "funicular"), ("héliport", "heliport"),
    ("carillon", "carillon"), ("toponymie", "toponymy"), ("nichoirs", "nest boxes"),
    ("apiculture", "beekeeping"), ("traversier", "ferry"), ("verglas", "freezing rain"),
    ("érablière", "sugar bush"), ("goélands", "gulls"), ("lampadaires", "streetlights"),
)


class Format(NamedTuple):
    name: str
    media_type: str
    extension: str
    weight: int
    size: tuple[int, int]  # byte size range


FORMATS: tuple[Format, ...] = (
    Format("CSV", "text/csv", "csv", 30, (2_000, 80_000_000)),
    Format("JSON", "application/json", "json", 12, (2_000, 40_000_000)),
    Format("GeoJSON", "application/geo+json", "geojson", 14, (5_000, 200_000_000)),
    Format("SHP", "application/zip", "zip", 10, (20_000, 300_000_000)),
    Format("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", 8, (8_000, 20_000_000)),
    Format("PDF", "application/pdf", "pdf", 8, (30_000, 15_000_000)),
    Format("KML", "application/vnd.google-earth.kml+xml", "kml", 4, (5_000, 50_000_000)),
    Format("XML", "application/xml", "xml", 3, (2_000, 30_000_000)),
    Format("WMS", "application/vnd.ogc.wms_xml", "xml", 3, (0, 0)),
)


class Licence(NamedTuple):
    ckan_id: str
    title: str
    url: str


LICENCES: tuple[Licence, ...] = (
    Licence("cc-by", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    Licence("cc-by", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    Licence("cc-by", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    Licence("odc-odbl", "Open Data Commons Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/1-0/"),
    Licence("cc-zero", "Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/"),
    Licence("cc-by-nc", "Creative Commons Non-Commercial", "https://creativecommons.org/licenses/by-nc/4.0/"),
)

FREQUENCIES: tuple[tuple[str, str, str], ...] = (
    # (EU code, French adverb phrase, English)
    ("ANNUAL", "chaque année", "every year"),
    ("MONTHLY", "chaque mois", "every month"),
    ("WEEKLY", "chaque semaine", "every week"),
    ("DAILY", "chaque jour", "every day"),
    ("QUARTERLY", "chaque trimestre", "every quarter"),
    ("IRREG", "de façon irrégulière", "irregularly"),
    ("CONT", "en continu", "continuously"),
)

DISTRIBUTION_KINDS: tuple[tuple[str, str], ...] = (
    ("Données", "Data"),
    ("Données historiques", "Historical data"),
    ("Dictionnaire de données", "Data dictionary"),
    ("Carte interactive", "Interactive map"),
    ("Fichier géographique", "Geographic file"),
    ("Sommaire annuel", "Annual summary"),
)
# fmt: on
