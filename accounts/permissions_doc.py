"""Render the permission table of accounts.roles as Markdown, for docs/permissions.md."""

from .roles import ACTIONS, PERMISSIONS, Role

BEGIN = "<!-- BEGIN GENERATED TABLE: python manage.py permissions_table --write -->"
END = "<!-- END GENERATED TABLE -->"


def render() -> str:
    lines = []
    for record_type, table in PERMISSIONS.items():
        lines.append(f"### {record_type}")
        lines.append("")
        lines.append("| role | " + " | ".join(ACTIONS) + " |")
        lines.append("|---|" + "---|" * len(ACTIONS))
        for role in Role:
            granted = table.get(role, frozenset())
            cells = ["✓" if action in granted else "·" for action in ACTIONS]
            lines.append(f"| {role.value} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def splice(document: str) -> str:
    """`document` with the text between the markers replaced by the current table."""
    head, _, rest = document.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{render()}\n{END}{tail}"
