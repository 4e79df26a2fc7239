"""The network of people: links between identities, each citing the record it comes from (docs/people.md,
"Network").

people/ does not import the apps whose records make links (interception today; cases and prosecution
later). Each of them registers a *link source* here from its `AppConfig.ready()`:

    fn(user, identity_ids) -> list[dict]

returning the links of those identities found on records `user` may see, one dict per link and record:
{"a": identity id, "b": identity id, "kind": LinkKind value, "record_type": "interception", "record_id": id,
"record_number": str, "record_url": str}, optionally with "a_role" / "b_role" (what each was on the record,
a translated label). Manual links (`PersonLink`) are the one source kept here.

A user sees a link only when they may see its record (for a manual link: both appearances), so a network
never shows a person or a record out of the reader's reach. Records are edge citations, not nodes: two
people linked by two records have two edges, each naming its record.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from django.http import Http404
from django.urls import reverse

from accounts.roles import Action
from audit.services import record_event

from .masking import MASK, mask
from .models import LinkKind, Person, PersonLink
from .selectors import appearance_condition, identity_scope, shown_records, with_sensitive_flag

LinkSource = Callable[[object, set[int]], list[dict]]
LINK_SOURCES: list[LinkSource] = []

DEPTHS = (1, 2, 3)
DEFAULT_DEPTH = 2
MAX_NODES = 200


def register_link_source(fn: LinkSource) -> None:
    """Add a link source (once: an app's `ready()` may run twice in tests)."""
    if fn not in LINK_SOURCES:
        LINK_SOURCES.append(fn)


def manual_links(user, identity_ids: set[int]) -> list[dict]:
    """Links made by hand (`PersonLink`) touching these identities, when `user` may see both appearances.
    The reason is shown only with `view_sensitive` on both (it is free text about people)."""
    if not identity_ids:
        return []
    see_from = appearance_condition(user, Action.VIEW, prefix="from_person__")
    see_to = appearance_condition(user, Action.VIEW, prefix="to_person__")
    if see_from is None or see_to is None:
        return []
    from django.db.models import BooleanField, ExpressionWrapper, Q, Value

    s_from = appearance_condition(user, Action.VIEW_SENSITIVE, prefix="from_person__")
    s_to = appearance_condition(user, Action.VIEW_SENSITIVE, prefix="to_person__")
    sensitive = (
        Value(False)
        if s_from is None or s_to is None
        else ExpressionWrapper(s_from & s_to, output_field=BooleanField())
    )
    rows = (
        PersonLink.objects.filter(see_from & see_to)
        .filter(Q(from_person__identity_id__in=identity_ids) | Q(to_person__identity_id__in=identity_ids))
        .annotate(can_see_sensitive=sensitive)
        .values(
            "pk",
            "reason",
            "can_see_sensitive",
            "from_person__identity_id",
            "to_person__identity_id",
            "from_person__source",
            "from_person__record_id",
            "to_person__source",
            "to_person__record_id",
        )
        .order_by("pk")
    )
    edges = []
    for row in rows:
        a, b = row["from_person__identity_id"], row["to_person__identity_id"]
        if a == b:  # both appearances were merged into one identity since
            continue
        records = {
            (row["from_person__source"], row["from_person__record_id"]),
            (row["to_person__source"], row["to_person__record_id"]),
        }
        edges.append(
            {
                "a": a,
                "b": b,
                "kind": LinkKind.MANUAL.value,
                "record_type": "person_link",
                "record_id": row["pk"],
                "record_number": "",
                "record_url": "",
                "reason": mask(row["reason"], bool(row["can_see_sensitive"])),
                # the records whose appearances the link joins (for the access log)
                "cites": sorted(records, key=lambda r: (r[0], r[1] or 0)),
            }
        )
    return edges


def _sources() -> list[LinkSource]:
    return [*LINK_SOURCES, manual_links]


def _edge_key(edge: dict) -> tuple:
    a, b = sorted((edge["a"], edge["b"]))
    return (a, b, edge["kind"], edge["record_type"], edge["record_id"])


def network(user, identity_id, depth: int = DEFAULT_DEPTH, max_nodes: int = MAX_NODES) -> dict:
    """The people linked to identity `identity_id` up to `depth` hops (1..3), as `user` may see them:
    {"root", "depth", "truncated", "nodes": [...], "edges": [...]}. Breadth first: each hop asks every
    link source once for the whole frontier (one query per source and hop). At most `max_nodes` nodes
    (the nearest first; `truncated` says when more were left out); an edge is kept only when both its
    ends are nodes.

    Each node: {"id", "names" (masked without `view_sensitive`), "roles", "hops", "url"}. Each edge:
    {"source", "target", "kind", "kind_label", "record_type", "record_id", "record_number", "record_url"}
    (+ "reason" for a manual link). An identity the user may not see answers Http404. The read is logged
    once as `person.network` naming the interceptions and case files whose appearances or links the answer
    showed."""
    try:
        root = int(identity_id)
    except (TypeError, ValueError, OverflowError):
        raise Http404("No such person.") from None
    if depth not in DEPTHS:
        raise ValueError("depth must be 1, 2 or 3")
    if not identity_scope(user).filter(pk=root).exists():
        raise Http404("No such person.")

    hops: dict[int, int] = {root: 0}
    edges: dict[tuple, dict] = {}
    frontier = {root}
    truncated = False
    # One pass more than `depth`: it adds no node, only the links among the farthest nodes (two people
    # both `depth` hops away may share a record).
    for hop in range(1, depth + 2):
        if not frontier:
            break
        found: set[int] = set()
        for source in _sources():
            for edge in source(user, frontier):
                edges.setdefault(_edge_key(edge), edge)
                for end in (edge["a"], edge["b"]):
                    if end not in hops:
                        found.add(end)
        if hop > depth:
            break
        room = max_nodes - len(hops)
        if len(found) > room:
            truncated = True
            found = set(sorted(found)[: max(room, 0)])
        for node in found:
            hops[node] = hop
        frontier = found
    kept = [e for e in edges.values() if e["a"] in hops and e["b"] in hops]

    nodes, shown = _nodes(user, hops, kept)
    for edge in kept:  # the records the links cite (an interception, a case file)
        shown.append(SimpleNamespace(source=edge["record_type"], record_id=edge["record_id"]))
        for source, record_id in edge.get("cites", ()):
            shown.append(SimpleNamespace(source=source, record_id=record_id))
    kinds = dict(LinkKind.choices)
    out_edges = []
    for edge in sorted(kept, key=lambda e: (min(hops[e["a"]], hops[e["b"]]), _edge_key(e))):
        item = {
            "source": edge["a"],
            "target": edge["b"],
            "kind": edge["kind"],
            "kind_label": str(kinds.get(edge["kind"], edge["kind"])),
            "record_type": edge["record_type"],
            "record_id": edge["record_id"],
            "record_number": edge.get("record_number", ""),
            "record_url": edge.get("record_url", ""),
        }
        if "reason" in edge:
            item["reason"] = edge["reason"]
        out_edges.append(item)

    record_event(
        actor=user,
        action="person.network",
        object_type="identity",
        object_id=root,
        details={
            "depth": depth,
            "nodes": len(nodes),
            "edges": len(out_edges),
            "truncated": truncated,
            **shown_records(shown),
        },
    )
    return {"root": root, "depth": depth, "truncated": truncated, "nodes": nodes, "edges": out_edges}


def _nodes(user, hops: dict[int, int], edges: list[dict]) -> tuple[list[dict], list]:
    """The nodes with the names of their appearances `user` may see (one query), masked where the user
    lacks `view_sensitive`, and the roles the edges saw them in; and the appearances shown (their source and
    record, for the access log)."""
    condition = appearance_condition(user, Action.VIEW)
    names: dict[int, list[str]] = {i: [] for i in hops}
    records: list = []  # the appearances shown (their source and record), for the access log
    if condition is not None:
        rows = (
            with_sensitive_flag(Person.objects.filter(condition, identity_id__in=list(hops)), user)
            .values_list("identity_id", "full_name", "can_see_sensitive", "source", "record_id")
            .order_by("identity_id", "recorded_on", "id")
        )
        for identity_id, full_name, allowed, source, record_id in rows:
            value = mask(full_name, bool(allowed))
            if value and value not in names[identity_id]:
                names[identity_id].append(value)
            records.append(SimpleNamespace(source=source, record_id=record_id))
    roles: dict[int, list[str]] = {i: [] for i in hops}
    for edge in edges:
        for end, key in ((edge["a"], "a_role"), (edge["b"], "b_role")):
            role = edge.get(key)
            if role and role not in roles[end]:
                roles[end].append(role)
    nodes = []
    for identity_id, hop in sorted(hops.items(), key=lambda item: (item[1], item[0])):
        shown = [n for n in names[identity_id] if n != MASK] or ([MASK] if MASK in names[identity_id] else [])
        nodes.append(
            {
                "id": identity_id,
                "ref": f"P-{identity_id}",
                "names": shown,
                "label": shown[0] if shown else f"P-{identity_id}",
                "roles": sorted(str(r) for r in roles[identity_id]),
                "hops": hop,
                "url": identity_url(identity_id),
            }
        )
    return nodes, records


def identity_url(identity_id: int) -> str:
    """The identity page (`/people/<id>/`)."""
    return reverse("people:identity", args=[identity_id])


def link_appearance(user, identity_id) -> Person | None:
    """The appearance a manual link of identity `identity_id` joins: its first (oldest) appearance whose
    names `user` may see, or None (no such identity, or none the user may see with `view_sensitive`)."""
    condition = appearance_condition(user, Action.VIEW_SENSITIVE)
    if condition is None:
        return None
    try:
        identity_id = int(identity_id)
    except (TypeError, ValueError, OverflowError):
        return None
    return (
        Person.objects.filter(condition, identity_id=identity_id)
        .select_related("station")
        .order_by("recorded_on", "id")
        .first()
    )
