"""A synthetic, deterministic catalogue: N bilingual datasets that change between generations.

``Corpus(CorpusSpec(seed=42, n=10_000, generation=0))`` always describes the same datasets.
Generation ``g`` (``g >= 1``) derives from generation ``g - 1``: a ``changed`` share of the
live datasets gets a new version (description, a distribution's size, ``modified``), a
``removed`` share disappears and ``round(n * added)`` new datasets appear. Membership,
ids, versions and modification times are computed from cheap integer hashes (no record
built), so platforms can filter and sort a million datasets quickly; the full
:class:`SimDataset` is built on demand by :meth:`Corpus.dataset`.

``stamps`` are the moments generations 1, 2, … happened (``modified`` of what they
changed); by default fixed dates in 2025, the server uses wall-clock time when it
switches generation so incremental harvests (modified-since) see the changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from simulator.vocabulary import (
    BOROUGHS,
    DISTRIBUTION_KINDS,
    FILLER,
    FORMATS,
    FREQUENCIES,
    LICENCES,
    PLACES,
    RARE,
    SOURCES,
    THEMES,
    Format,
    Licence,
    Place,
    Theme,
)

MASK = (1 << 64) - 1
BASE_START = datetime(2012, 1, 1, tzinfo=UTC)
BASE_SPAN = int((datetime(2024, 12, 31, tzinfo=UTC) - BASE_START).total_seconds())
DEFAULT_STAMP = datetime(2025, 1, 1, tzinfo=UTC)
_CHANGE, _REMOVE, _MODIFIED, _UID, _FXF, _ITEM, _HUB = range(1, 8)
_FXF_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"
_FORMAT_WEIGHTS = [f.weight for f in FORMATS]


def mix(*parts: int) -> int:
    """A 64-bit hash of integers (splitmix64 folded over the parts): fast and stable."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & MASK)) & MASK
        x = (x + 0x9E3779B97F4A7C15) & MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
        x ^= x >> 31
    return x


def unit(*parts: int) -> float:
    """A float in [0, 1) from :func:`mix`."""
    return mix(*parts) / 2.0**64


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """What a corpus is: its seed, size, generation and how generations differ."""

    seed: int = 42
    n: int = 1000
    generation: int = 0
    changed: float = 0.05
    removed: float = 0.01
    added: float = 0.01
    stamps: tuple[datetime, ...] = ()

    def stamp(self, generation: int) -> datetime:
        """When ``generation`` (>= 1) happened."""
        if generation - 1 < len(self.stamps):
            return self.stamps[generation - 1]
        return DEFAULT_STAMP + timedelta(days=generation)


@dataclass(frozen=True, slots=True)
class SimDistribution:
    uid: str
    title: tuple[str, str]
    format: Format
    url: str
    byte_size: int | None
    created: datetime
    modified: datetime


@dataclass(frozen=True, slots=True)
class SimDataset:
    """One synthetic dataset, platform-neutral (each platform renders its own shape)."""

    index: int
    uid: str
    fxf: str
    hub_id: str
    name: str
    version: int
    title: tuple[str, str]
    description: tuple[str, str]
    keywords: tuple[list[str], list[str]]
    theme: Theme
    place: Place
    licence: Licence
    frequency: tuple[str, str, str]
    created: datetime
    modified: datetime
    bbox: tuple[float, float, float, float]
    temporal: tuple[date, date]
    contact: tuple[str, str]
    distributions: list[SimDistribution] = field(default_factory=list)

    @property
    def landing_page(self) -> str:
        return f"https://{self.place.host}/dataset/{self.name}"


def uid_of(seed: int, index: int) -> str:
    """A UUID-shaped id (version 4 layout) of dataset ``index``."""
    a, b = mix(seed, index, _UID), mix(seed, index, _UID, 1)
    h = f"{a:016x}{b:016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[b >> 62]}{h[17:20]}-{h[20:32]}"


def fxf_of(seed: int, index: int) -> str:
    """A Socrata four-by-four id (``abcd-2345``)."""
    x = mix(seed, index, _FXF)
    chars = [_FXF_ALPHABET[(x >> (5 * k)) & 31] for k in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def hub_id_of(seed: int, index: int) -> str:
    """An ArcGIS item id (32 hex digits)."""
    return f"{mix(seed, index, _HUB):016x}{mix(seed, index, _HUB, 1):016x}"


class Corpus:
    """The datasets of one generation; see the module docstring."""

    def __init__(self, spec: CorpusSpec) -> None:
        self.spec = spec
        self.seed = spec.seed
        self.added_per_generation = round(spec.n * spec.added)

    # --- membership and versions (cheap) ------------------------------------------------

    def born(self, index: int) -> int:
        """The generation in which ``index`` appeared (0 for the first ``n``)."""
        if index < self.spec.n:
            return 0
        return (index - self.spec.n) // max(self.added_per_generation, 1) + 1

    def _removed(self, index: int, generation: int) -> bool:
        share = self.spec.removed
        return share > 0 and any(
            unit(self.seed, h, index, _REMOVE) < share
            for h in range(self.born(index) + 1, generation + 1)
        )

    def last_change(self, index: int, generation: int | None = None) -> int:
        """The latest generation that changed ``index`` (0 if never)."""
        g = self.spec.generation if generation is None else generation
        share = self.spec.changed
        if share <= 0:
            return 0
        for h in range(g, self.born(index), -1):
            if unit(self.seed, h, index, _CHANGE) < share:
                return h
        return 0

    def version(self, index: int, generation: int | None = None) -> int:
        """How many generations changed ``index`` since it appeared."""
        g = self.spec.generation if generation is None else generation
        share = self.spec.changed
        if share <= 0:
            return 0
        return sum(
            1
            for h in range(self.born(index) + 1, g + 1)
            if unit(self.seed, h, index, _CHANGE) < share
        )

    def live(self, index: int, generation: int | None = None) -> bool:
        g = self.spec.generation if generation is None else generation
        return self.born(index) <= g and not self._removed(index, g)

    def candidates(self, generation: int | None = None) -> range:
        g = self.spec.generation if generation is None else generation
        return range(self.spec.n + self.added_per_generation * g)

    @cached_property
    def indices(self) -> list[int]:
        """The live datasets of this generation, by index."""
        return [i for i in self.candidates() if self.live(i)]

    def __len__(self) -> int:
        return len(self.indices)

    def uid(self, index: int) -> str:
        return uid_of(self.seed, index)

    def fxf(self, index: int) -> str:
        return fxf_of(self.seed, index)

    def hub_id(self, index: int) -> str:
        return hub_id_of(self.seed, index)

    def name(self, index: int) -> str:
        """The dataset's slug (CKAN ``name``, OpenDataSoft ``dataset_id``)."""
        return name_of(self.seed, index)

    def created(self, index: int) -> datetime:
        born = self.born(index)
        if born:
            return self.spec.stamp(born)
        return BASE_START + timedelta(seconds=mix(self.seed, index, _MODIFIED) % BASE_SPAN)

    def modified(self, index: int) -> datetime:
        """``metadata_modified`` of ``index`` in this generation."""
        changed = self.last_change(index)
        if changed:
            return self.spec.stamp(changed)
        created = self.created(index)
        if self.born(index):
            return created
        extra = mix(self.seed, index, _MODIFIED, 1) % (400 * 86400)
        return min(created + timedelta(seconds=extra), DEFAULT_STAMP - timedelta(days=1))

    # --- records ------------------------------------------------------------------------

    def dataset(self, index: int) -> SimDataset:
        """The whole record of ``index`` in this generation."""
        return build_dataset(self, index)

    def datasets(self, indices: list[int] | None = None) -> list[SimDataset]:
        return [self.dataset(i) for i in (self.indices if indices is None else indices)]


@dataclass(frozen=True, slots=True)
class Diff:
    """What changed between two generations of a corpus (by index)."""

    added: frozenset[int]
    changed: frozenset[int]
    removed: frozenset[int]
    unchanged: frozenset[int]


def diff(before: Corpus, after: Corpus) -> Diff:
    """Datasets added, changed (new version), removed and unchanged from ``before`` to ``after``."""
    old, new = set(before.indices), set(after.indices)
    kept = old & new
    changed = {i for i in kept if after.version(i) != before.version(i)}
    return Diff(
        added=frozenset(new - old),
        changed=frozenset(changed),
        removed=frozenset(old - new),
        unchanged=frozenset(kept - changed),
    )


def _sentence_pair(
    rng: random.Random, pairs: tuple[tuple[str, str], ...], k: int
) -> tuple[str, str]:
    chosen = rng.sample(pairs, k)
    return " ".join(p[0] for p in chosen), " ".join(p[1] for p in chosen)


def _theme_and_subject(rng: random.Random) -> tuple[Theme, tuple[str, str]]:
    """The first two draws of a dataset's random stream: its theme and subject."""
    theme = THEMES[rng.randrange(len(THEMES))]
    return theme, theme.subjects[rng.randrange(len(theme.subjects))]


def name_of(seed: int, index: int) -> str:
    """``SimDataset.name`` of ``index`` (its subject's slug and its uid's start) without
    building the dataset (~30 µs against ~250 µs)."""
    _, subject = _theme_and_subject(random.Random(mix(seed, index, _ITEM)))
    return _name(subject, uid_of(seed, index))


def _name(subject: tuple[str, str], uid: str) -> str:
    return f"{_slug(subject[0])}-{uid[:8]}"


def build_dataset(corpus: Corpus, index: int) -> SimDataset:
    """Build dataset ``index`` from its own random stream (independent of the others)."""
    seed = corpus.seed
    rng = random.Random(mix(seed, index, _ITEM))
    theme, subject = _theme_and_subject(rng)
    place = PLACES[min(int(rng.paretovariate(1.2)) - 1, len(PLACES) - 1)]
    borough = rng.choice(BOROUGHS)
    year = rng.randrange(2008, 2025)
    frequency = rng.choice(FREQUENCIES)
    source = rng.choice(SOURCES)
    scope = rng.random()
    if scope < 0.5:
        title = (f"{subject[0]} — {place.name[0]}", f"{subject[1]} — {place.name[1]}")
    elif scope < 0.8:
        title = (f"{subject[0]} {year}", f"{subject[1]} {year}")
    else:
        title = (f"{subject[0]} — {borough}", f"{subject[1]} — {borough}")
    fr = [
        f"Ce jeu de données présente les {subject[0].lower()} sur le territoire de la "
        f"{place.name[0]}.",
        f"Les données proviennent {source[0]} et sont mises à jour {frequency[1]}.",
    ]
    en = [
        f"This dataset presents {subject[1].lower()} in the territory of {place.name[1]}.",
        f"The data come from {source[1]} and are updated {frequency[2]}.",
    ]
    filler = _sentence_pair(rng, FILLER, rng.randrange(1, 7))
    fr.append(filler[0])
    en.append(filler[1])
    keywords_fr = [theme.keywords[k][0] for k in rng.sample(range(len(theme.keywords)), 2)]
    keywords_en = [theme.keywords[k][1] for k in rng.sample(range(len(theme.keywords)), 2)]
    keywords_fr.append(subject[0].lower())
    keywords_en.append(subject[1].lower())
    if rng.random() < 0.003:
        rare = rng.choice(RARE)
        fr.append(f"Il comprend aussi un inventaire : {rare[0]}.")
        en.append(f"It also includes an inventory: {rare[1]}.")
        keywords_fr.append(rare[0])
        keywords_en.append(rare[1])
    version = corpus.version(index)
    if version:
        fr.append(f"Mise à jour n° {version} : corrections et nouvelles observations.")
        en.append(f"Update no. {version}: corrections and new observations.")
    created, modified = corpus.created(index), corpus.modified(index)
    west, south, east, north = place.bbox
    dx, dy = (east - west) * rng.random() * 0.4, (north - south) * rng.random() * 0.4
    bbox = (round(west + dx, 4), round(south + dy, 4), round(east - dx, 4), round(north - dy, 4))
    start = date(year, 1, 1)
    uid = corpus.uid(index)
    name = _name(subject, uid)
    key = mix(seed, index, _ITEM, 2)
    distributions = _distributions(rng, key, uid, name, place, created, modified, version)
    return SimDataset(
        index=index,
        uid=uid,
        fxf=corpus.fxf(index),
        hub_id=hub_id_of(seed, index),
        name=name,
        version=version,
        title=title,
        description=(" ".join(fr), " ".join(en)),
        keywords=(keywords_fr, keywords_en),
        theme=theme,
        place=place,
        licence=LICENCES[rng.randrange(len(LICENCES))],
        frequency=frequency,
        created=created,
        modified=modified,
        bbox=bbox,
        temporal=(start, date(min(year + rng.randrange(0, 6), 2024), 12, 31)),
        contact=(f"Équipe des données ouvertes — {place.name[0]}", f"donneesouvertes@{place.host}"),
        distributions=distributions,
    )


def _distributions(
    rng: random.Random,
    key: int,
    uid: str,
    name: str,
    place: Place,
    created: datetime,
    modified: datetime,
    version: int,
) -> list[SimDistribution]:
    count = rng.choices((1, 2, 3, 4, 5, 6), weights=(15, 25, 25, 18, 10, 7))[0]
    formats = rng.choices(FORMATS, weights=_FORMAT_WEIGHTS, k=count)
    out = []
    for position, fmt in enumerate(formats):
        kind = DISTRIBUTION_KINDS[position % len(DISTRIBUTION_KINDS)]
        low, high = fmt.size
        size = int(low * (high / low) ** rng.random()) if high else None
        if size is not None and position == 0 and version:
            size += 1024 * version
        rid = f"{mix(key, position):016x}{mix(key, position, 1):016x}"
        resource_uid = f"{rid[:8]}-{rid[8:12]}-{rid[12:16]}-{rid[16:20]}-{rid[20:32]}"
        if fmt.name == "WMS":
            url = f"https://geo.{place.host}/wms?service=WMS&request=GetCapabilities&layers={name}"
        else:
            url = f"https://{place.host}/dataset/{uid}/resource/{resource_uid}/download/{name}.{fmt.extension}"
        out.append(
            SimDistribution(
                uid=resource_uid,
                title=(f"{kind[0]} ({fmt.name})", f"{kind[1]} ({fmt.name})"),
                format=fmt,
                url=url,
                byte_size=size,
                created=created,
                modified=modified if position == 0 else created,
            )
        )
    return out


_SLUG = str.maketrans("àâäçéèêëîïôöùûüœæ' ’", "aaaceeeeiioouuuoa---", "")


def _slug(text: str) -> str:
    lowered = text.lower().replace("œ", "oe").replace("æ", "ae").translate(_SLUG)
    return "".join(c for c in lowered if c.isalnum() or c == "-").strip("-")
