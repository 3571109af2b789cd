"""Publisher, creators and contact points of a CKAN package.

Precedence, as in ckanext-dcat: the scheming ``publisher`` list, then a ``publisher``
extra (data.gov harvests), then the owner ``organization``. Contacts come from the scheming
``contact`` list, then maintainer, author and ``contact-*`` extras.

``Agent.kind`` is the partner kind of the *source* only when the publisher is the partner
itself (same name or title), or when the package has no organization (a dataset on a
partner's own portal is the partner's). Aggregating portals (Données Québec) host ministries
and municipalities side by side: stamping every publisher with the portal owner's kind
would be wrong.
"""

from __future__ import annotations

from typing import Any

from catalog.model import Agent, ContactPoint, PartnerKind
from connectors.base import SourceSpec
from connectors.ckan_values import Package, extras, lookup
from connectors.values import (
    blank,
    decoded,
    email,
    is_url,
    is_uuid,
    slug,
    text,
    translated,
    url,
)


def agent_from_organization(
    org: dict[str, Any], *, site: str | None = None, default_lang: str = ""
) -> Agent | None:
    """An Agent from a CKAN organization dict (``organization_show`` result or the
    ``organization`` of a package; fluent ``title_translated`` gives one name per language)."""
    name = translated(org.get("title_translated"), default_lang) or translated(
        org.get("title") or org.get("display_name") or org.get("name"), default_lang
    )
    if not name:
        return None
    identifier = text(org.get("name")) or text(org.get("id"))
    homepage = url(org.get("url")) or (
        f"{site.rstrip('/')}/organization/{identifier}" if site and identifier else None
    )
    return Agent(
        name=name,
        identifier=identifier,
        email=email(org.get("email") or org.get("contact_email") or org.get("foi-email")),
        homepage=homepage,
    )


def agent_from_dcat(item: Any, default_lang: str = "") -> Agent | None:
    """An Agent from a ckanext-dcat scheming ``publisher`` / ``creator`` entry."""
    if isinstance(item, str):
        return Agent(name={default_lang: item.strip()}) if item.strip() else None
    if not isinstance(item, dict):
        return None
    name = translated(item.get("name_translated"), default_lang) or translated(
        item.get("name"), default_lang
    )
    if not name:
        return None
    identifier = text(item.get("identifier"))
    kind = text(item.get("type"))
    return Agent(
        name=name,
        uri=text(item.get("uri")) or (identifier if identifier and is_url(identifier) else None),
        identifier=identifier,
        email=email(item.get("email")),
        homepage=url(item.get("url")),
        kind=PartnerKind(kind) if kind and kind in PartnerKind.__members__ else None,
    )


def _entries(value: Any) -> list[Any]:
    value = decoded(value)
    if blank(value):
        return []
    return value if isinstance(value, list) else [value]


def _is_partner(agent: Agent, org: dict[str, Any], source: SourceSpec) -> bool:
    if not source.partner_name:
        return False
    partner = slug(source.partner_name)
    names = [org.get("name"), org.get("title"), *agent.name.values()]
    return any(isinstance(n, str) and slug(n) == partner for n in names)


def publisher(
    package: Package,
    source: SourceSpec,
    *,
    site: str | None,
    default_lang: str = "",
    extra: dict[str, Any] | None = None,
) -> Agent | None:
    """The dataset's publisher (see the module docstring for precedence and ``kind``;
    ``extra``: the package's :func:`extras`, when already read)."""
    for item in _entries(package.get("publisher")):
        agent = agent_from_dcat(item, default_lang)
        if agent:
            return agent
    extra = extras(package) if extra is None else extra
    named = text(extra.get("publisher"))
    org = package.get("organization")
    org = org if isinstance(org, dict) else {}
    if named:
        agent = Agent(name={default_lang: named})
    else:
        found = agent_from_organization(org, site=site, default_lang=default_lang)
        if found is None:
            if not source.partner_name:
                return None
            return Agent(name={"": source.partner_name}, kind=source.partner_kind)
        agent = found
    if source.partner_kind and _is_partner(agent, org, source):
        agent.kind = source.partner_kind
    return agent


def creators(package: Package, default_lang: str = "") -> list[Agent]:
    """ckanext-dcat ``creator`` entries (a plain author is a contact, not a creator)."""
    found = [agent_from_dcat(item, default_lang) for item in _entries(package.get("creator"))]
    return [agent for agent in found if agent]


def _person(name: Any) -> str | None:
    cleaned = text(name)
    return cleaned if cleaned and not is_uuid(cleaned) else None


def contact_points(package: Package, *, extra: dict[str, Any] | None = None) -> list[ContactPoint]:
    """Contacts from ``contact`` (scheming), maintainer, author and ``contact-*`` extras."""
    # (name, email, phone, url) of each candidate; ContactPoints are built for the kept ones
    found: list[tuple[str | None, str | None, str | None, str | None]] = []
    for item in _entries(package.get("contact")):
        if isinstance(item, dict):
            name = text(item.get("name")) or (
                next(iter(translated(item.get("name_translated")).values()), None)
            )
            found.append(
                (name, email(item.get("email")), text(item.get("phone")), url(item.get("url")))
            )
    extra = extras(package) if extra is None else extra
    pairs = [
        (package.get("maintainer"), package.get("maintainer_email")),
        (package.get("author"), package.get("author_email")),
        (
            lookup(package, "contact-name", "contact_name", extra=extra),
            lookup(package, "contact-email", "contact_email", "contact_point", extra=extra),
        ),
    ]
    for name, address in pairs:
        person, mail = _person(name), email(address)
        if person or mail:
            found.append((person, mail, None, None))
    return [
        ContactPoint(name=name, email=mail, phone=phone, url=link)
        for name, mail, phone, link in _unique(found)
    ]


def _unique(
    points: list[tuple[str | None, str | None, str | None, str | None]],
) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """``points`` (name, email, phone, url) without repeats of a name and e-mail, nor
    e-mails without a name already known with one."""
    kept: list[tuple[str | None, str | None, str | None, str | None]] = []
    for point in points:
        name, mail = point[0], point[1]
        if name is None and any(k[1] == mail for k in kept):
            continue  # an e-mail already known with a name
        key = (name, (mail or "").lower())
        if any((k[0], (k[1] or "").lower()) == key for k in kept):
            continue
        kept.append(point)
    return kept
