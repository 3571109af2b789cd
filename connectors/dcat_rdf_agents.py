"""Publishers, creators (foaf:Agent) and contact points (vcard:Kind) of a DCAT dataset.

Agents are read from FOAF (``foaf:name``, ``foaf:mbox``, ``foaf:homepage``), with vCard and
SKOS names as fallbacks (GeoNetwork writes publishers as vCard organizations). Contact points
are read from vCard (``vcard:fn``, ``organization-name`` or ``vcard:org``, ``hasEmail``,
``hasTelephone``, ``hasURL``, values given as IRIs, literals or ``vcard:hasValue`` nodes),
with FOAF as fallback.

When the dataset names no publisher, the partner owning the source is its publisher; a
publisher whose name is the partner's gets the partner's kind (as in the CKAN connector).
"""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.term import Node

from catalog.model import Agent, ContactPoint, LocalizedText
from connectors.base import SourceSpec
from connectors.dcat_rdf_values import (
    ADMS,
    DCAT,
    DCT,
    FOAF,
    RDFS,
    SCHEMA,
    SKOS,
    VCARD,
    clean,
    email,
    first_text,
    first_url,
    localized,
    objects,
    phone,
)
from connectors.rdf_index import RdfGraph
from connectors.values import slug

AGENT_NAMES = (
    FOAF.name,
    VCARD["organization-name"],
    VCARD["organisation-name"],
    VCARD.fn,
    SKOS.prefLabel,
    RDFS.label,
    SCHEMA.name,
    DCT.title,
)
CONTACT_NAMES = (VCARD.fn, VCARD["organization-name"], VCARD["organisation-name"], FOAF.name)


def _org_name(graph: RdfGraph, node: Node) -> str | None:
    for org in objects(graph, node, VCARD.org):
        if isinstance(org, Literal):
            return clean(str(org))
        name = first_text(graph, org, VCARD["organisation-name"], VCARD["organization-name"])
        if name:
            return name
    return None


def agent(graph: RdfGraph, node: Node, default_lang: str = "") -> Agent | None:
    """An Agent from a FOAF/vCard node, an IRI alone, or a plain name literal."""
    if isinstance(node, Literal):
        text = clean(str(node))
        return Agent(name={default_lang: text}) if text else None
    name: LocalizedText = localized(graph, node, *AGENT_NAMES, default_lang=default_lang)
    if not name and (org := _org_name(graph, node)):
        name = {default_lang: org}
    mail = next(
        (
            m
            for v in objects(graph, node, FOAF.mbox, VCARD.hasEmail, SCHEMA.email)
            if (m := email(graph, v))
        ),
        None,
    )
    found = Agent(
        name=name,
        uri=str(node) if isinstance(node, URIRef) else None,
        identifier=first_text(graph, node, DCT.identifier),
        email=mail,
        homepage=first_url(
            graph, node, FOAF.homepage, FOAF.workplaceHomepage, VCARD.hasURL, SCHEMA.url
        ),
    )
    return found if found.name or found.uri or found.email else None


def _is_partner(found: Agent, source: SourceSpec) -> bool:
    if not source.partner_name:
        return False
    partner = slug(source.partner_name)
    return any(slug(name) == partner for name in found.name.values())


def publisher(
    graph: RdfGraph, subject: Node, source: SourceSpec, default_lang: str = ""
) -> Agent | None:
    """``dct:publisher`` (see the module docstring for the fallback and ``kind``)."""
    for node in objects(graph, subject, DCT.publisher):
        found = agent(graph, node, default_lang)
        if found:
            if source.partner_kind and _is_partner(found, source):
                found.kind = source.partner_kind
            return found
    if source.partner_name:
        return Agent(name={"": source.partner_name}, kind=source.partner_kind)
    return None


def creators(graph: RdfGraph, subject: Node, default_lang: str = "") -> list[Agent]:
    """``dct:creator`` agents."""
    found = [agent(graph, node, default_lang) for node in objects(graph, subject, DCT.creator)]
    return [a for a in found if a]


def contact(graph: RdfGraph, node: Node) -> ContactPoint | None:
    """A ContactPoint from a vCard (or FOAF) node; a bare e-mail literal or IRI works too."""
    if not isinstance(node, Literal) and (node, None, None) not in graph:
        mail = email(graph, node)
        return ContactPoint(email=mail) if mail else None
    if isinstance(node, Literal):
        mail = email(graph, node)
        return ContactPoint(email=mail) if mail else ContactPoint(name=clean(str(node)))
    names = localized(graph, node, *CONTACT_NAMES)
    name = next(iter(names.values()), None) or _org_name(graph, node)
    mail = next(
        (m for v in objects(graph, node, VCARD.hasEmail, FOAF.mbox) if (m := email(graph, v))),
        None,
    )
    telephone = next(
        (p for v in objects(graph, node, VCARD.hasTelephone, FOAF.phone) if (p := phone(graph, v))),
        None,
    )
    link = first_url(graph, node, VCARD.hasURL, FOAF.homepage)
    if name is None and mail is None and telephone is None and link is None:
        return None  # an empty ContactPoint(), without building one to compare
    return ContactPoint(name=name, email=mail, phone=telephone, url=link)


def contact_points(graph: RdfGraph, subject: Node) -> list[ContactPoint]:
    """``dcat:contactPoint`` (and ``adms:contactPoint``) entries, repeats dropped."""
    found: list[ContactPoint] = []
    for node in objects(graph, subject, DCAT.contactPoint, ADMS.contactPoint):
        point = contact(graph, node)
        if point and point not in found:
            found.append(point)
    return found
