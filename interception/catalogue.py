"""The default red-flag catalogue for interception records.

Each entry is (code, group, text, points): a yes/no observation a border monitor ticks on the
interception record form, modelled on the interception record forms (IRF) used by
anti-trafficking organisations at the Nepal–India border. Points add up to the record's
red-flag score; strong indicators (a known trafficker, a lie about the destination, a minor
crossing without a guardian) weigh far more than general vulnerability.

This list is only the default. A data migration loads it into the `RedFlag` table; after that the
catalogue lives in the database and is edited per country (points, wording, new or retired flags)
in the Django admin. Changing this file does not change existing databases.

Groups: "vulnerability", "evasion", "control", "labour" (see `RedFlagGroup`).
"""

RED_FLAGS: list[tuple[str, str, str, int]] = [
    # Vulnerability: who is travelling and in what situation.
    ("V01", "vulnerability", "Girl is under 18 and travelling without a parent or guardian", 45),
    ("V02", "vulnerability", "Is under 18 and going for work", 40),
    ("V03", "vulnerability", "Girl is under 18 and says she is married to the man she travels with", 40),
    ("V04", "vulnerability", "Is travelling to India or abroad for the first time", 5),
    ("V05", "vulnerability", "Has never been away from home before without family", 5),
    ("V06", "vulnerability", "Family does not know she is leaving", 25),
    ("V07", "vulnerability", "Has run away from home", 20),
    ("V08", "vulnerability", "Dropped out of school in the last year", 5),
    ("V09", "vulnerability", "Cannot read or write", 3),
    ("V10", "vulnerability", "Family is in debt or lost home or land (e.g. in the earthquake or floods)", 5),
    ("V11", "vulnerability", "Is travelling with someone who is not a family member", 10),
    ("V12", "vulnerability", "Married or eloped in the last two weeks", 20),
    ("V13", "vulnerability", "Married or eloped between two weeks and two months ago", 10),
    (
        "V14",
        "vulnerability",
        "Met the companion less than a month ago or online (Facebook, TikTok, phone)",
        30,
    ),
    ("V15", "vulnerability", "Has been abused or abandoned by husband or family", 5),
    ("V16", "vulnerability", "Comes from a village where others were trafficked recently", 5),
    # Evasion and deception: lies, contradictions, hiding the journey.
    ("E01", "evasion", "Caught in a lie about the destination", 45),
    ("E02", "evasion", "Contradicting stories between travellers", 35),
    ("E03", "evasion", "Was told not to tell anyone where she is going", 40),
    ("E04", "evasion", "Was coached on what to say at the border", 40),
    ("E05", "evasion", "Cannot say the name or address of the person she is going to", 20),
    ("E06", "evasion", "Cannot give the phone number of anyone at the destination", 15),
    ("E07", "evasion", "Companion is a known trafficker or was intercepted before", 50),
    ("E08", "evasion", "Companion left or tried to run when the monitor approached", 40),
    ("E09", "evasion", "Travellers sat apart or pretended not to know each other", 30),
    ("E10", "evasion", "Companion claims to be a relative but cannot say her family members' names", 30),
    ("E11", "evasion", "Is carrying fake or someone else's ID, or her age on the ID is clearly wrong", 40),
    ("E12", "evasion", "Travelling at night or by an unusual route to avoid the checkpoint", 15),
    ("E13", "evasion", "Has a new SIM card or phone given by the companion", 15),
    ("E14", "evasion", "Story of the reason for travel changed during questioning", 25),
    ("E15", "evasion", "Says she is going for medical treatment or a visit but has no details", 10),
    ("E16", "evasion", "Has been told to delete messages or photos from her phone", 30),
    # Control: someone else directing the journey.
    ("C01", "control", "Someone else holds her passport or ID", 35),
    ("C02", "control", "Companion paid for the travel", 15),
    ("C03", "control", "Companion answers questions for her and will not let her speak", 25),
    ("C04", "control", "Appears frightened, nervous or avoids eye contact", 10),
    ("C05", "control", "Has no money of her own or cannot pay the fare home", 10),
    ("C06", "control", "Has an unexplained large amount of cash or new clothes, phone or jewellery", 10),
    ("C07", "control", "Companion has her phone or is checking her calls", 25),
    ("C08", "control", "Was given drugs, alcohol or medicine on the way", 35),
    ("C09", "control", "Is being met at the border by someone she does not know", 25),
    ("C10", "control", "Is being sent on by phone instructions from someone not present", 25),
    ("C11", "control", "Was threatened or told her family would be harmed", 45),
    ("C12", "control", "Shows signs of physical abuse", 30),
    # Labour migration: the job and how it was arranged.
    ("L01", "labour", "Has a job offer abroad but no written contract", 20),
    ("L02", "labour", "Was recruited by a broker/dalal", 20),
    ("L03", "labour", "Cannot say the name or address of her employer", 20),
    ("L04", "labour", "Going to a Gulf country via India", 35),
    ("L05", "labour", "Has no labour permit from the Department of Foreign Employment", 25),
    ("L06", "labour", "Going for domestic work in the Gulf or Malaysia", 25),
    ("L07", "labour", "Job offer is too good to be true (high pay, no skills or experience needed)", 20),
    ("L08", "labour", "Does not know what kind of work she will do", 15),
    ("L09", "labour", "Job is in a dance bar, massage parlour, cabin restaurant or similar", 30),
    ("L10", "labour", "Paid a large recruitment fee or owes the broker money", 15),
    ("L11", "labour", "Visa or ticket arranged by someone other than a licensed agency", 20),
    ("L12", "labour", "Was promised a visa or work permit on arrival", 20),
    ("L13", "labour", "Contract is in a language she cannot read", 10),
    ("L14", "labour", "Is going to work for the companion or someone the companion knows", 15),
]
