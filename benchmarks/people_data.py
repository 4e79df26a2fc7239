"""Labelled synthetic people for the matching benchmark (benchmarks/people.py, docs/people.md "Matching").

A seeded generator of identities with Nepali and Indian names (Latin and Devanagari), several appearances
for some (spelling variants, swapped order, a typo, Devanagari for Latin, a dropped middle name, the age
at another date), phones in E.164, and true NON-matches with similar names (same surname, a similar given
name, another phone and age). Queries are held-out variants of known identities, each labelled with its
true identity.

`load(n)` writes n identities to the current (benchmark) database with COPY: `people_identity`,
`people_person` and `people_namekey` (keys computed once per distinct name string). Import only after
`django.setup()` for `load`; `generate` and `queries` need only `people.names`.
"""

from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

SEED = 20261201
VERSION = 4

# (Latin, Devanagari)
FEMALE = [
    ("Sita", "सीता"),
    ("Gita", "गीता"),
    ("Rita", "रीता"),
    ("Maya", "माया"),
    ("Sarita", "सरिता"),
    ("Sunita", "सुनिता"),
    ("Anita", "अनिता"),
    ("Kamala", "कमला"),
    ("Laxmi", "लक्ष्मी"),
    ("Sabina", "सबिना"),
    ("Srijana", "सृजना"),
    ("Puja", "पूजा"),
    ("Sushma", "सुष्मा"),
    ("Radha", "राधा"),
    ("Parbati", "पार्वती"),
    ("Mina", "मीना"),
    ("Bimala", "बिमला"),
    ("Nirmala", "निर्मला"),
    ("Asmita", "अस्मिता"),
    ("Manisha", "मनिषा"),
    ("Sangita", "सङ्गीता"),
    ("Januka", "जनुका"),
    ("Dipa", "दीपा"),
    ("Rupa", "रूपा"),
    ("Sarala", "सरला"),
    ("Samjhana", "सम्झना"),
    ("Kabita", "कविता"),
    ("Ganga", "गङ्गा"),
    ("Yamuna", "यमुना"),
    ("Sabitri", "सावित्री"),
    ("Pramila", "प्रमिला"),
    ("Nisha", "निशा"),
    ("Asha", "आशा"),
    ("Usha", "उषा"),
    ("Sapana", "सपना"),
    ("Alisha", "अलिशा"),
    ("Roshani", "रोशनी"),
    ("Sumitra", "सुमित्रा"),
    ("Durga", "दुर्गा"),
    ("Priya", "प्रिया"),
    ("Neha", "नेहा"),
    ("Anjali", "अंजली"),
    ("Pinki", "पिंकी"),
    ("Rekha", "रेखा"),
    ("Suman", "सुमन"),
    ("Rani", "रानी"),
    ("Shabnam", "शबनम"),
    ("Rubina", "रुबिना"),
    ("Savita", "सविता"),
    ("Lalita", "ललिता"),
    ("Shanti", "शान्ति"),
    ("Jyoti", "ज्योति"),
    ("Aarti", "आरती"),
    ("Mamta", "ममता"),
    ("Sonam", "सोनम"),
    ("Poonam", "पूनम"),
    ("Bishnu", "बिष्णु"),
    ("Kalpana", "कल्पना"),
    ("Muna", "मुना"),
    ("Sarmila", "शर्मिला"),
    ("Bina", "बिना"),
    ("Tara", "तारा"),
    ("Hira", "हिरा"),
    ("Mira", "मीरा"),
    ("Nira", "नीरा"),
    ("Kopila", "कोपिला"),
    ("Kusum", "कुसुम"),
    ("Lila", "लीला"),
    ("Goma", "गोमा"),
    ("Devaki", "देवकी"),
    ("Dhana", "धना"),
    ("Indira", "इन्दिरा"),
    ("Junu", "जुनु"),
    ("Kanchi", "कान्छी"),
    ("Manju", "मन्जु"),
    ("Menuka", "मेनुका"),
    ("Nanu", "नानु"),
    ("Pabitra", "पवित्रा"),
    ("Rama", "रमा"),
    ("Renu", "रेनु"),
    ("Sanu", "सानु"),
    ("Sharada", "शारदा"),
    ("Shova", "शोभा"),
    ("Tulasi", "तुलसी"),
    ("Urmila", "उर्मिला"),
    ("Yasoda", "यशोदा"),
    ("Binita", "बिनिता"),
    ("Chameli", "चमेली"),
    ("Dilmaya", "दिलमाया"),
    ("Fulmaya", "फूलमाया"),
    ("Gauri", "गौरी"),
    ("Hema", "हेमा"),
    ("Indu", "इन्दु"),
    ("Karuna", "करुणा"),
    ("Kripa", "कृपा"),
    ("Madhu", "मधु"),
    ("Mandira", "मन्दिरा"),
    ("Nabina", "नबिना"),
    ("Nirjala", "निर्जला"),
    ("Ojaswi", "ओजस्वी"),
    ("Pratima", "प्रतिमा"),
    ("Prabha", "प्रभा"),
    ("Rachana", "रचना"),
    ("Rojina", "रोजिना"),
    ("Sadhana", "साधना"),
    ("Sajana", "सजना"),
    ("Salina", "सलिना"),
    ("Samita", "समिता"),
    ("Sanjita", "संजिता"),
    ("Shristi", "सृष्टि"),
    ("Sumina", "सुमिना"),
    ("Sushila", "सुशीला"),
    ("Tika", "टीका"),
    ("Uma", "उमा"),
    ("Yogita", "योगिता"),
    ("Babita", "बबिता"),
    ("Bhagwati", "भगवती"),
    ("Chandrakala", "चन्द्रकला"),
    ("Deepika", "दीपिका"),
    ("Elina", "एलिना"),
    ("Gyanu", "ज्ञानु"),
    ("Heena", "हिना"),
    ("Ishwari", "ईश्वरी"),
    ("Jamila", "जमिला"),
    ("Khushbu", "खुशबू"),
    ("Mausam", "मौसम"),
    ("Namrata", "नम्रता"),
    ("Nasrin", "नसरिन"),
    ("Reshma", "रेश्मा"),
    ("Ritu", "ऋतु"),
    ("Ruksana", "रुक्साना"),
    ("Shakila", "शकिला"),
    ("Swati", "स्वाती"),
    ("Tanuja", "तनुजा"),
    ("Pushpa", "पुष्पा"),
    ("Dolma", "डोल्मा"),
    ("Pema", "पेमा"),
    ("Lhamu", "ल्हामु"),
    ("Anu", "अनु"),
    ("Bandana", "बन्दना"),
    ("Binu", "बिनु"),
    ("Harimaya", "हरिमाया"),
    ("Kamana", "कामना"),
    ("Radhika", "राधिका"),
    ("Saraswati", "सरस्वती"),
    ("Rajani", "रजनी"),
    ("Anisha", "अनिशा"),
    ("Aruna", "अरुणा"),
]
MALE = [
    ("Ram", "राम"),
    ("Shyam", "श्याम"),
    ("Hari", "हरि"),
    ("Krishna", "कृष्ण"),
    ("Bikash", "बिकास"),
    ("Suresh", "सुरेश"),
    ("Ramesh", "रमेश"),
    ("Dinesh", "दिनेश"),
    ("Rajesh", "राजेश"),
    ("Prakash", "प्रकाश"),
    ("Santosh", "सन्तोष"),
    ("Bishal", "बिशाल"),
    ("Sagar", "सागर"),
    ("Anil", "अनिल"),
    ("Sunil", "सुनिल"),
    ("Bhim", "भीम"),
    ("Gopal", "गोपाल"),
    ("Naresh", "नरेश"),
    ("Kamal", "कमल"),
    ("Bijay", "बिजय"),
    ("Dipak", "दीपक"),
    ("Rabin", "रबिन"),
    ("Sujan", "सुजन"),
    ("Roshan", "रोशन"),
    ("Milan", "मिलन"),
    ("Nabin", "नबिन"),
    ("Arjun", "अर्जुन"),
    ("Kiran", "किरण"),
    ("Manoj", "मनोज"),
    ("Umesh", "उमेश"),
    ("Rahul", "राहुल"),
    ("Amit", "अमित"),
    ("Vijay", "विजय"),
    ("Sanjay", "संजय"),
    ("Ravi", "रवि"),
    ("Raju", "राजू"),
    ("Mohan", "मोहन"),
    ("Sohan", "सोहन"),
    ("Mukesh", "मुकेश"),
    ("Pappu", "पप्पू"),
    ("Vikram", "विक्रम"),
    ("Mohammad", "मोहम्मद"),
    ("Salim", "सलीम"),
    ("Imran", "इमरान"),
    ("Arif", "आरिफ"),
    ("Rakesh", "राकेश"),
    ("Ajay", "अजय"),
    ("Vinod", "विनोद"),
    ("Ashok", "अशोक"),
    ("Ganesh", "गणेश"),
    ("Tek", "टेक"),
    ("Dil", "दिल"),
    ("Man", "मान"),
    ("Chandra", "चन्द्र"),
    ("Yam", "यम"),
    ("Pradip", "प्रदीप"),
    ("Sudip", "सुदीप"),
    ("Niraj", "नीरज"),
    ("Binod", "बिनोद"),
    ("Jeevan", "जीवन"),
    ("Arun", "अरुण"),
    ("Ashish", "आशिष"),
    ("Bal", "बल"),
    ("Bharat", "भरत"),
    ("Bibek", "बिबेक"),
    ("Bimal", "बिमल"),
    ("Birendra", "बिरेन्द्र"),
    ("Dhan", "धन"),
    ("Dev", "देव"),
    ("Gagan", "गगन"),
    ("Gokul", "गोकुल"),
    ("Hem", "हेम"),
    ("Indra", "इन्द्र"),
    ("Ishwor", "ईश्वर"),
    ("Jagat", "जगत"),
    ("Jay", "जय"),
    ("Kapil", "कपिल"),
    ("Karan", "करण"),
    ("Khem", "खेम"),
    ("Lok", "लोक"),
    ("Madan", "मदन"),
    ("Mahesh", "महेश"),
    ("Min", "मीन"),
    ("Nabaraj", "नवराज"),
    ("Narayan", "नारायण"),
    ("Om", "ओम"),
    ("Padam", "पदम"),
    ("Pasang", "पासाङ"),
    ("Pemba", "पेम्बा"),
    ("Nima", "निमा"),
    ("Dawa", "दावा"),
    ("Lakpa", "लाक्पा"),
    ("Prem", "प्रेम"),
    ("Purna", "पूर्ण"),
    ("Rajendra", "राजेन्द्र"),
    ("Ratna", "रत्न"),
    ("Rudra", "रुद्र"),
    ("Sabin", "सबिन"),
    ("Sanjeev", "संजीव"),
    ("Shankar", "शंकर"),
    ("Shiva", "शिव"),
    ("Subash", "सुबास"),
    ("Sudan", "सुदन"),
    ("Surya", "सूर्य"),
    ("Tej", "तेज"),
    ("Tilak", "तिलक"),
    ("Uttam", "उत्तम"),
    ("Yubaraj", "युवराज"),
    ("Chiranjibi", "चिरञ्जीवी"),
    ("Dambar", "डम्बर"),
    ("Hikmat", "हिकमत"),
    ("Jitendra", "जितेन्द्र"),
    ("Laxman", "लक्ष्मण"),
    ("Mani", "मणि"),
    ("Pawan", "पवन"),
    ("Suraj", "सूरज"),
    ("Abdul", "अब्दुल"),
    ("Rafiq", "रफिक"),
    ("Aslam", "असलम"),
    ("Jamal", "जमाल"),
    ("Sabir", "साबिर"),
    ("Shahid", "शाहिद"),
    ("Irfan", "इरफान"),
    ("Anwar", "अनवर"),
    ("Mahendra", "महेन्द्र"),
    ("Dharmendra", "धर्मेन्द्र"),
    ("Upendra", "उपेन्द्र"),
    ("Bhupendra", "भूपेन्द्र"),
    ("Gyan", "ज्ञान"),
    ("Keshav", "केशव"),
    ("Kishor", "किशोर"),
    ("Manish", "मनिष"),
    ("Nitesh", "नितेश"),
    ("Pankaj", "पंकज"),
    ("Rohit", "रोहित"),
    ("Sandeep", "सन्दीप"),
    ("Sushil", "सुशील"),
    ("Yogesh", "योगेश"),
    ("Ankit", "अंकित"),
]
MIDDLE_FEMALE = [("Kumari", "कुमारी"), ("Devi", "देवी"), ("Maya", "माया"), ("Laxmi", "लक्ष्मी")]
MIDDLE_MALE = [
    ("Bahadur", "बहादुर"),
    ("Kumar", "कुमार"),
    ("Prasad", "प्रसाद"),
    ("Raj", "राज"),
    ("Lal", "लाल"),
    ("Nath", "नाथ"),
    ("Chandra", "चन्द्र"),
    ("Man", "मान"),
]
SURNAMES = [
    ("Tamang", "तामाङ"),
    ("Gurung", "गुरुङ"),
    ("Magar", "मगर"),
    ("Rai", "राई"),
    ("Limbu", "लिम्बु"),
    ("Sherpa", "शेर्पा"),
    ("Thapa", "थापा"),
    ("Shrestha", "श्रेष्ठ"),
    ("Karki", "कार्की"),
    ("Adhikari", "अधिकारी"),
    ("Bhandari", "भण्डारी"),
    ("Poudel", "पौडेल"),
    ("Sharma", "शर्मा"),
    ("Khadka", "खड्का"),
    ("Basnet", "बस्नेत"),
    ("Bhattarai", "भट्टराई"),
    ("Chaudhary", "चौधरी"),
    ("Tharu", "थारु"),
    ("Yadav", "यादव"),
    ("Shah", "शाह"),
    ("Bista", "बिष्ट"),
    ("Rana", "राना"),
    ("Lama", "लामा"),
    ("Ghale", "घले"),
    ("Thakuri", "ठकुरी"),
    ("Dahal", "दाहाल"),
    ("Koirala", "कोइराला"),
    ("Pandey", "पाण्डे"),
    ("Neupane", "न्यौपाने"),
    ("Giri", "गिरी"),
    ("Pun", "पुन"),
    ("Budha", "बुढा"),
    ("Sunar", "सुनार"),
    ("Kami", "कामी"),
    ("Damai", "दमाई"),
    ("Sarki", "सार्की"),
    ("Nepali", "नेपाली"),
    ("Maharjan", "महर्जन"),
    ("Shakya", "शाक्य"),
    ("Tuladhar", "तुलाधर"),
    ("Joshi", "जोशी"),
    ("Oli", "ओली"),
    ("Khatri", "खत्री"),
    ("Rawal", "रावल"),
    ("Bohara", "बोहरा"),
    ("Dhami", "धामी"),
    ("Mahato", "महतो"),
    ("Sah", "साह"),
    ("Singh", "सिंह"),
    ("Gupta", "गुप्ता"),
    ("Verma", "वर्मा"),
    ("Mishra", "मिश्रा"),
    ("Khan", "खान"),
    ("Ansari", "अन्सारी"),
    ("Ali", "अली"),
    ("Das", "दास"),
    ("Paswan", "पासवान"),
    ("Mandal", "मण्डल"),
    ("Thakur", "ठाकुर"),
    ("Jha", "झा"),
    ("Chauhan", "चौहान"),
    ("Patel", "पटेल"),
    ("Rajput", "राजपूत"),
    ("Sheikh", "शेख"),
    ("Sahani", "साहनी"),
    ("Mukhiya", "मुखिया"),
    ("Bhujel", "भुजेल"),
    ("Thami", "थामी"),
    ("Sunuwar", "सुनुवार"),
    ("Majhi", "माझी"),
    ("Ghimire", "घिमिरे"),
    ("Acharya", "आचार्य"),
    ("Aryal", "अर्याल"),
    ("Bhatta", "भट्ट"),
    ("Bhusal", "भुसाल"),
    ("Dhakal", "ढकाल"),
    ("Gautam", "गौतम"),
    ("Kafle", "काफ्ले"),
    ("Khanal", "खनाल"),
    ("Lamichhane", "लामिछाने"),
    ("Luitel", "लुइटेल"),
    ("Mainali", "मैनाली"),
    ("Nepal", "नेपाल"),
    ("Ojha", "ओझा"),
    ("Pant", "पन्त"),
    ("Pokharel", "पोखरेल"),
    ("Regmi", "रेग्मी"),
    ("Rijal", "रिजाल"),
    ("Sapkota", "सापकोटा"),
    ("Sedhai", "सेढाई"),
    ("Subedi", "सुवेदी"),
    ("Timilsina", "तिमिल्सिना"),
    ("Tiwari", "तिवारी"),
    ("Upadhyay", "उपाध्याय"),
    ("Wagle", "वाग्ले"),
    ("Baral", "बराल"),
    ("Chhetri", "क्षेत्री"),
    ("Dhungana", "ढुङ्गाना"),
    ("Gyawali", "ज्ञवाली"),
    ("Humagain", "हुमागाईं"),
    ("Kandel", "कँडेल"),
    ("Silwal", "सिलवाल"),
    ("Thapaliya", "थापलिया"),
    ("Bogati", "बोगटी"),
    ("Budhathoki", "बुढाथोकी"),
    ("Kunwar", "कुँवर"),
    ("Mahat", "महत"),
    ("Rawat", "रावत"),
    ("Rokaya", "रोकाया"),
    ("Shahi", "शाही"),
    ("Ale", "आले"),
    ("Pulami", "पुलामी"),
    ("Roka", "रोका"),
    ("Gharti", "घर्ती"),
    ("Thing", "थिङ"),
    ("Syangtan", "स्याङतान"),
    ("Moktan", "मोक्तान"),
    ("Waiba", "वाइबा"),
    ("Yonjan", "योन्जन"),
    ("Ghising", "घिसिङ"),
    ("Dong", "दोङ"),
    ("Lopchan", "लोप्चन"),
    ("Bomjan", "बोम्जन"),
    ("Pakhrin", "पाख्रिन"),
    ("Dhimal", "धिमाल"),
    ("Rajbanshi", "राजबंशी"),
    ("Kumal", "कुमाल"),
    ("Danuwar", "दनुवार"),
    ("Chepang", "चेपाङ"),
    ("Hamal", "हमाल"),
    ("Bishwokarma", "विश्वकर्मा"),
    ("Pariyar", "परियार"),
    ("Mijar", "मिजार"),
    ("Gandharba", "गन्धर्व"),
    ("Badi", "बादी"),
    ("Kushwaha", "कुशवाहा"),
    ("Mehta", "मेहता"),
    ("Sahu", "साहु"),
    ("Kurmi", "कुर्मी"),
    ("Teli", "तेली"),
    ("Mallah", "मल्लाह"),
    ("Musahar", "मुसहर"),
    ("Pandit", "पण्डित"),
    ("Tripathi", "त्रिपाठी"),
    ("Srivastava", "श्रीवास्तव"),
    ("Pathak", "पाठक"),
    ("Dubey", "दुबे"),
    ("Sinha", "सिन्हा"),
    ("Roy", "राय"),
    ("Sarkar", "सरकार"),
    ("Biswas", "बिश्वास"),
    ("Bose", "बोस"),
    ("Ghosh", "घोष"),
    ("Haque", "हक"),
    ("Siddiqui", "सिद्दिकी"),
    ("Qureshi", "कुरेशी"),
    ("Malik", "मलिक"),
    ("Hussain", "हुसैन"),
    ("Begum", "बेगम"),
    ("Karmacharya", "कर्माचार्य"),
    ("Manandhar", "मानन्धर"),
    ("Bajracharya", "बज्राचार्य"),
    ("Dangol", "डंगोल"),
    ("Prajapati", "प्रजापति"),
    ("Awale", "अवाले"),
    ("Suwal", "सुवाल"),
    ("Rajbhandari", "राजभण्डारी"),
    ("Pradhan", "प्रधान"),
    ("Amatya", "अमात्य"),
    ("Malla", "मल्ल"),
]

# Spelling variants people write (applied to a Latin word, each with a chance).
_SPELLINGS = [
    ("ee", "i"),
    ("i", "ee"),
    ("aa", "a"),
    ("a", "aa"),
    ("sh", "s"),
    ("s", "sh"),
    ("v", "b"),
    ("b", "v"),
    ("w", "b"),
    ("ph", "f"),
    ("u", "oo"),
    ("y", "i"),
    ("ksh", "x"),
    ("x", "ksh"),
    ("j", "z"),
    ("ch", "chh"),
]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NP_MOBILE = ["980", "981", "982", "984", "985", "986"]


@dataclass
class Appearance:
    name: str
    phone: str  # E.164 or ""
    age: int | None
    recorded_on: date
    gender: str
    place: int | None  # index into the places list


@dataclass
class Human:
    id: int  # 1-based: the identity id in the benchmark database
    gender: str
    given: int
    middle: int | None
    surname: int
    birth_year: int
    phone: str
    place: int | None
    confuser_of: int | None = None
    appearances: list[Appearance] = field(default_factory=list)


def _given_list(gender):
    return FEMALE if gender == "female" else MALE


def _middle_list(gender):
    return MIDDLE_FEMALE if gender == "female" else MIDDLE_MALE


def _words(h: Human, *, devanagari=False, middle=True) -> list[str]:
    col = 1 if devanagari else 0
    words = [_given_list(h.gender)[h.given][col]]
    if middle and h.middle is not None:
        words.append(_middle_list(h.gender)[h.middle][col])
    words.append(SURNAMES[h.surname][col])
    return words


def _spell(rng: random.Random, word: str) -> str:
    lower = word.lower()
    options = [(a, b) for a, b in _SPELLINGS if a in lower]
    if not options:
        return word
    a, b = rng.choice(options)
    i = lower.find(a)
    out = lower[:i] + b + lower[i + len(a) :]
    if any(bad in out for bad in ("hh", "vh", "zh", "shh", "aaa", "eee")):
        return word  # "Bhujel" is never written "Vhujel"
    return out.capitalize()


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    lower = word.lower()
    i = rng.randrange(1, len(lower))
    kind = rng.random()
    if kind < 0.3:
        out = lower[:i] + rng.choice(_LETTERS) + lower[i + 1 :]
    elif kind < 0.55:
        out = lower[:i] + lower[i + 1 :]
    elif kind < 0.8:
        out = lower[:i] + rng.choice(_LETTERS) + lower[i:]
    else:
        i = min(i, len(lower) - 2)
        out = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2 :]
    return out.capitalize()


def variant_name(rng: random.Random, h: Human) -> tuple[str, set[str]]:
    """Another way the same name is written, and the kinds of change made."""
    kinds: set[str] = set()
    if rng.random() < 0.25:
        kinds.add("devanagari")
        words = _words(h, devanagari=True, middle=rng.random() < 0.6)
        if rng.random() < 0.3:
            words = words[-1:] + words[:-1]
            kinds.add("swapped")
        return " ".join(words), kinds
    words = _words(h, middle=rng.random() < 0.6)
    if h.middle is not None and len(words) == 2:
        kinds.add("dropped_middle")
    changed = False
    for i in range(len(words)):
        if rng.random() < 0.45:
            new = _spell(rng, words[i])
            changed |= new != words[i]
            words[i] = new
    if changed:
        kinds.add("spelling")
    if rng.random() < 0.25:
        i = rng.randrange(len(words))
        words[i] = _typo(rng, words[i])
        kinds.add("typo")
    if rng.random() < 0.25:
        words = words[-1:] + words[:-1]
        kinds.add("swapped")
    if rng.random() < 0.15:
        words = [w.upper() for w in words]
    return " ".join(words), kinds


def phone_format(rng: random.Random, e164: str) -> str:
    """The same number as people type it: "+977 98...", "98...", "0098...", with dashes."""
    if not e164:
        return ""
    if e164.startswith("+977"):
        national = e164[4:]
        choices = [
            f"+977 {national}",
            national,
            f"00977{national}",
            f"{national[:3]}-{national[3:]}",
            f"+977-{national[:3]}-{national[3:]}",
        ]
    else:
        national = e164[3:]
        choices = [f"+91 {national[:5]} {national[5:]}", f"0091{national}", f"+91-{national}"]
    return rng.choice(choices)


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < 0.85:  # Nepal's mobile ranges (NTC 984-986, Ncell 980-982)
            number = f"+977{rng.choice(_NP_MOBILE)}{rng.randrange(0, 10**7):07d}"
        else:
            number = f"+91{rng.choice('6789')}{rng.randrange(0, 10**9):09d}"
        if number not in used:
            used.add(number)
            return number


def age_given(rng: random.Random, birth_year: int, on: date) -> int:
    """The age a record gives: the birthday not yet reached in about half the year, and in about one in
    seven an age guessed or misremembered at the border (one or two years off)."""
    age = on.year - birth_year - (1 if rng.random() < 0.5 else 0)
    if rng.random() < 0.15:
        age += rng.choice([-2, -1, -1, 1, 1, 2])
    return max(age, 1)


def place_given(rng: random.Random, h: Human, places: int, *, given: float) -> int | None:
    """The home place a record gives: missing often, and now and then another one (a place of work or
    of a relative written as home)."""
    if h.place is None or rng.random() >= given:
        return None
    return rng.randrange(places) if rng.random() < 0.05 else h.place


def _appearance(rng: random.Random, h: Human, *, first: bool, places: int) -> Appearance:
    recorded_on = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 7 * 365))
    # The first record of a human is as often a variant as the canonical spelling: nobody types the
    # "right" name first.
    if first and rng.random() < 0.5:
        name = " ".join(_words(h, middle=h.middle is not None and rng.random() < 0.8))
    else:
        name, _ = variant_name(rng, h)
    return Appearance(
        name=name,
        phone=h.phone if (first or rng.random() < 0.6) else "",
        age=age_given(rng, h.birth_year, recorded_on) if rng.random() < 0.9 else None,
        recorded_on=recorded_on,
        gender=h.gender if rng.random() < 0.95 else "unknown",
        place=place_given(rng, h, places, given=0.7),
    )


def _similar_given(gender: str, index: int) -> int:
    """The other given name of that gender closest in spelling (Sita -> Gita)."""
    from rapidfuzz import fuzz

    names = _given_list(gender)
    me = names[index][0]
    scored = sorted(
        ((fuzz.ratio(me, other), j) for j, (other, _) in enumerate(names) if j != index), reverse=True
    )
    return scored[0][1]


def generate(n: int, *, places: int = 753, seed: int = SEED) -> list[Human]:
    """n labelled identities (ids 1..n). About 30% have two or three appearances; about 10% are a
    similar-name NON-match of an earlier one (same surname and gender, the closest given name, another
    phone and age)."""
    rng = random.Random(seed)
    # The appearances draw from a stream of their own, so the humans (the labels) do not depend on how
    # variants are spelled.
    rng_seen = random.Random(seed + 7)
    used: set[str] = set()
    humans: list[Human] = []
    similar = {g: {} for g in ("female", "male")}
    for i in range(1, n + 1):
        if humans and rng.random() < 0.1:
            base = humans[rng.randrange(len(humans))]
            cache = similar[base.gender]
            if base.given not in cache:
                cache[base.given] = _similar_given(base.gender, base.given)
            h = Human(
                id=i,
                gender=base.gender,
                given=cache[base.given] if rng.random() < 0.7 else base.given,
                middle=base.middle,
                surname=base.surname,
                birth_year=base.birth_year + rng.choice([-12, -9, -7, -3, -2, 2, 3, 6, 8, 11, 15]),
                phone=_phone(rng, used) if rng.random() < 0.75 else "",
                # A sibling or a neighbour: the same home place as often as not.
                place=base.place if rng.random() < 0.5 else rng.randrange(places),
                confuser_of=base.id,
            )
        else:
            gender = "female" if rng.random() < 0.65 else "male"
            h = Human(
                id=i,
                gender=gender,
                given=rng.randrange(len(_given_list(gender))),
                middle=rng.randrange(len(_middle_list(gender))) if rng.random() < 0.5 else None,
                surname=rng.randrange(len(SURNAMES)),
                birth_year=rng.randrange(1960, 2012),
                phone=_phone(rng, used) if rng.random() < 0.75 else "",
                place=rng.randrange(places) if rng.random() < 0.9 else None,
            )
        count = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        h.appearances = [_appearance(rng_seen, h, first=j == 0, places=places) for j in range(count)]
        humans.append(h)
    return humans


@dataclass
class Query:
    """A new appearance of a known human, as a user would type it."""

    identity_id: int
    name: str
    phone: str  # as typed (any format) or ""
    age: int | None
    recorded_on: date
    gender: str
    place: int | None
    kinds: frozenset[str]
    devanagari_cross: bool  # Devanagari query against a Latin-only identity, or the reverse


def queries(humans: list[Human], count: int, *, places: int = 753, seed: int = SEED + 1) -> list[Query]:
    """`count` labelled queries: new variants of random identities (confusers included, so a query may
    have to tell Gita from Sita), with the phone in another format for about half of those that have one."""
    rng = random.Random(seed)
    pick = random.Random(seed + 3)  # which humans: independent of how the variants are drawn
    out = []
    for _ in range(count):
        h = humans[pick.randrange(len(humans))]
        name, kinds = variant_name(rng, h)
        recorded_on = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 300))
        stored_scripts = {"devanagari" if _is_devanagari(a.name) else "latin" for a in h.appearances}
        query_script = "devanagari" if _is_devanagari(name) else "latin"
        out.append(
            Query(
                identity_id=h.id,
                name=name,
                phone=phone_format(rng, h.phone) if h.phone and rng.random() < 0.5 else "",
                age=age_given(rng, h.birth_year, recorded_on) if rng.random() < 0.8 else None,
                recorded_on=recorded_on,
                gender=h.gender if rng.random() < 0.9 else "",
                place=place_given(rng, h, places, given=0.5),
                kinds=frozenset(kinds),
                devanagari_cross=query_script not in stored_scripts,
            )
        )
    return out


def _is_devanagari(text: str) -> bool:
    return any("\u0900" <= c <= "\u097f" for c in text)


# --- Loading into the benchmark database ----------------------------------------------------------------


def _copy(cur, table: str, columns: list[str], rows) -> int:
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


def load(n: int, *, log=print) -> dict:
    """Build n identities into the current (empty, migrated) database: one station and one user own the
    appearances; home places are Nepal's municipalities (loaded by the migrations)."""
    from django.contrib.auth.hashers import make_password
    from django.db import DatabaseError, connection, transaction

    from accounts.models import Country, Station, User
    from people.models import Place, PlaceKind
    from people.names import keys

    started = time.perf_counter()
    country, _ = Country.objects.get_or_create(code="NP", defaults={"name": "Nepal"})
    station, _ = Station.objects.get_or_create(
        code="PB1", defaults={"name": "People bench", "country": country, "timezone": "Asia/Kathmandu"}
    )
    user, _ = User.objects.get_or_create(username="people_bench", defaults={"password": make_password(None)})
    place_ids = list(
        Place.objects.filter(country="NP", kind=PlaceKind.MUNICIPALITY, parent__isnull=False)
        .order_by("code")
        .values_list("id", flat=True)
    )
    humans = generate(n, places=max(len(place_ids), 1))
    log(f"  generated {n} identities: {time.perf_counter() - started:.1f}s")
    key_cache: dict[str, tuple[str, ...]] = {}
    now = "2026-12-01 00:00:00+00"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        try:
            with transaction.atomic():  # a superuser's setting: no foreign-key trigger per row
                cur.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            log("  (not a superuser: foreign keys are checked row by row)")
        cur.execute(
            "SELECT indexdef, indexname FROM pg_indexes WHERE tablename IN "
            "('people_person', 'people_namekey', 'people_identity') AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for _, name in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        _copy(
            cur,
            "people_identity",
            ["id", "gender", "birth_year", "created_at", "updated_at"],
            ((h.id, h.gender, h.birth_year, now, now) for h in humans),
        )
        person_rows = []
        key_rows = []
        pid = 0
        for h in humans:
            for a in h.appearances:
                pid += 1
                person_rows.append(
                    (
                        pid,
                        h.id,
                        "interception",
                        a.recorded_on.isoformat(),
                        station.pk,
                        a.name,
                        a.gender,
                        a.age,
                        a.phone,
                        "",
                        place_ids[a.place] if a.place is not None and place_ids else None,
                        "",
                        user.pk,
                        now,
                        now,
                    )
                )
                found = key_cache.get(a.name)
                if found is None:
                    found = key_cache[a.name] = keys(a.name)
                key_rows.extend((pid, k) for k in found)
        log(f"  keyed {len(key_cache)} distinct names: {time.perf_counter() - started:.1f}s")
        _copy(
            cur,
            "people_person",
            [
                "id",
                "identity_id",
                "source",
                "recorded_on",
                "station_id",
                "full_name",
                "gender",
                "age",
                "phone",
                "address",
                "address_place_id",
                "nationality",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            person_rows,
        )
        _copy(cur, "people_namekey", ["person_id", "key"], key_rows)
        log(f"  copied {pid} appearances, {len(key_rows)} keys: {time.perf_counter() - started:.1f}s")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for definition, _ in indexes:
            cur.execute(definition)
        cur.execute("SET LOCAL session_replication_role = DEFAULT")
        for table in ("people_identity", "people_person", "people_namekey"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        log(f"  {len(indexes)} indexes built: {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cur:
        for table in ("people_identity", "people_person", "people_namekey"):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS people_bench_meta "
            "(version integer NOT NULL, identities integer NOT NULL, built_at timestamptz NOT NULL, "
            "seconds real NOT NULL)"
        )
        seconds = round(time.perf_counter() - started, 1)
        cur.execute("INSERT INTO people_bench_meta VALUES (%s, %s, now(), %s)", [VERSION, n, seconds])
    log(f"  built in {seconds}s")
    return {"identities": n, "appearances": pid, "keys": len(key_rows), "build_seconds": seconds}


def built(n: int) -> dict | None:
    """The meta row when the current database holds this version of n identities, else None."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('people_bench_meta')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute(
            "SELECT built_at, seconds FROM people_bench_meta WHERE version = %s AND identities = %s "
            "ORDER BY built_at DESC LIMIT 1",
            [VERSION, n],
        )
        row = cur.fetchone()
    return None if row is None else {"built_at": row[0].isoformat(), "build_seconds": row[1]}


def places_of(humans_count: int) -> list[int]:
    """The place ids `load` used (the same query), for turning a query's place index into a code."""
    from people.models import Place, PlaceKind

    return list(
        Place.objects.filter(country="NP", kind=PlaceKind.MUNICIPALITY, parent__isnull=False)
        .order_by("code")
        .values_list("id", flat=True)
    )
