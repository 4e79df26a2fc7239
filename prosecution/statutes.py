"""The default statute catalogue per country (seeded by migration 0002; edited afterwards in the admin).

Each entry: a stable `code` (the API's `charge`), the offence's `title`, the `act` and `section`, and whether
it is a trafficking offence or a lesser charge (`is_trafficking`). A lesser-charge conviction against a
trafficking charge is recorded as a conviction under one of the lesser entries (docs/prosecution.md).
"""

HTTCA = "Human Trafficking and Transportation (Control) Act 2007"
FEA = "Foreign Employment Act 2007"
MCC = "Muluki Criminal Code 2017"
IPC = "Indian Penal Code 1860"
BNS = "Bharatiya Nyaya Sanhita 2023"
ITPA = "Immoral Traffic (Prevention) Act 1956"

CATALOGUE: dict[str, dict] = {
    "NP": {
        "name": "Nepal",
        "statutes": [
            ("HTTCA-15-1-A", "Buying or selling a person", HTTCA, "4(1)(a), 15(1)(a)", True),
            ("HTTCA-15-1-B", "Forcing a person into prostitution", HTTCA, "4(1)(b), 15(1)(b)", True),
            ("HTTCA-15-1-C", "Extracting human organs", HTTCA, "4(1)(c), 15(1)(c)", True),
            (
                "HTTCA-15-1-E",
                "Taking a person from the home or elsewhere for buying or selling",
                HTTCA,
                "4(2)(a), 15(1)(e)",
                True,
            ),
            (
                "HTTCA-15-1-F",
                "Taking or transporting a person for prostitution or exploitation",
                HTTCA,
                "4(2)(b), 15(1)(f)",
                True,
            ),
            ("HTTCA-16", "Attempt, abetment or conspiracy to traffic a person", HTTCA, "16", True),
            ("FEA-43", "Sending a person abroad for employment by fraud", FEA, "43", False),
            ("FEA-44", "Recruiting for foreign employment without a licence", FEA, "44", False),
            ("MCC-249", "Fraud (cheating)", MCC, "249", False),
            ("MCC-214", "Kidnapping or hostage taking", MCC, "214", False),
            ("MCC-173", "Child marriage", MCC, "173", False),
        ],
        "courts": [
            "Supreme Court",
            "High Court Tulsipur",
            "High Court Patan",
            "Rupandehi District Court",
            "Kathmandu District Court",
            "Banke District Court",
        ],
    },
    "IN": {
        "name": "India",
        "statutes": [
            ("IPC-370", "Trafficking of persons", IPC, "370", True),
            ("IPC-370A", "Exploitation of a trafficked person", IPC, "370A", True),
            ("BNS-143", "Trafficking of persons", BNS, "143", True),
            ("BNS-144", "Exploitation of a trafficked person", BNS, "144", True),
            ("ITPA-5", "Procuring, inducing or taking a person for prostitution", ITPA, "5", True),
            ("ITPA-6", "Detaining a person where prostitution is carried on", ITPA, "6", True),
            (
                "EMIGRATION-24",
                "Emigration offences (illegal recruitment)",
                "Emigration Act 1983",
                "24",
                False,
            ),
            ("IPC-363", "Kidnapping", IPC, "363", False),
            ("IPC-365", "Kidnapping with intent to confine", IPC, "365", False),
            ("IPC-366", "Kidnapping a woman to compel marriage", IPC, "366", False),
            ("IPC-420", "Cheating", IPC, "420", False),
            (
                "PCMA-9",
                "Marrying a child (adult male)",
                "Prohibition of Child Marriage Act 2006",
                "9",
                False,
            ),
            (
                "PCMA-10",
                "Performing or abetting a child marriage",
                "Prohibition of Child Marriage Act 2006",
                "10",
                False,
            ),
        ],
        "courts": ["Supreme Court of India"],
    },
}


def seed(Country, Statute, Court) -> None:
    """Create the catalogue's countries, statutes and courts that are missing (never overwrite an admin's
    edit). Takes the models, so a migration can pass its historical ones."""
    for code, entry in CATALOGUE.items():
        country, _created = Country.objects.get_or_create(code=code, defaults={"name": entry["name"]})
        for position, (statute_code, title, act, section, trafficking) in enumerate(entry["statutes"]):
            Statute.objects.get_or_create(
                country=country,
                code=statute_code,
                defaults={
                    "title": title,
                    "act": act,
                    "section": section,
                    "is_trafficking": trafficking,
                    "position": position,
                },
            )
        for name in entry["courts"]:
            Court.objects.get_or_create(country=country, name=name)
