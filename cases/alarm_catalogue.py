"""The default catalogue of home-situation alarms of the victim interview (docs/cases.md "Victim interview").

Each entry is (code, text, points): a yes/no fact about her home situation, modelled on the home-situation
alarms of Tiny Hands' victim interview form (VIF). Points add up to the interview's `alarm_score`; a total at
or above `settings.CASES_HOME_ALARM_THRESHOLD` (default 10) alerts the case manager and the station's
managers: going home may not be safe.

This list is only the default. The data migration `cases/0003_home_alarms.py` loads it for every country
(`country` empty, like red flags); a country's own alarm (added in the admin, or a copy of the default with
`load_home_alarms(HomeAlarm, country)`) replaces the default of the same code for its stations. After that
the catalogue lives in the database and is edited (points, wording, new or retired alarms) in the Django
admin. Changing this file does not change existing databases.
"""

HOME_ALARMS: list[tuple[str, str, int]] = [
    ("H01", "Was abused at home (physical, sexual or verbal)", 5),
    ("H02", "Was forced to work or to marry by her family", 5),
    ("H03", "Was previously trafficked", 5),
    ("H04", "A family member was involved in her recruitment", 5),
    ("H05", "Does not want to return home", 4),
    ("H06", "Family would not take her back or blames her", 4),
    ("H07", "No parent at home, or orphan", 3),
    ("H08", "Family is in debt", 3),
    ("H09", "Family sold land, animals or jewellery to pay for her journey", 3),
    ("H10", "Was married or engaged against her will", 3),
    ("H11", "Her own or her family's home was lost (earthquake, flood, eviction)", 3),
    ("H12", "Father, mother or guardian drinks alcohol heavily or uses drugs", 2),
    ("H13", "Family member in foreign employment arranged the job", 2),
    ("H14", "Was sent away from home to earn money for the family", 2),
    ("H15", "Step-parent at home", 2),
    ("H16", "Has left school", 1),
    ("H17", "Family has no regular income", 1),
    ("H18", "Was not allowed to decide about her own marriage or work", 1),
]


def load_home_alarms(home_alarm_model, country=None) -> int:
    """Add the default alarms `country` (None: every country) does not have yet (by code); keep every
    existing one as it is (a country's own edits stay). Returns how many were added. `home_alarm_model` is
    `cases.HomeAlarm` or the migration's historical model."""
    have = set(home_alarm_model.objects.filter(country=country).values_list("code", flat=True))
    missing = [
        home_alarm_model(country=country, code=code, text=text, points=points, position=position)
        for position, (code, text, points) in enumerate(HOME_ALARMS)
        if code not in have
    ]
    home_alarm_model.objects.bulk_create(missing)
    return len(missing)
