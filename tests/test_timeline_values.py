"""How a history value reads on a history page (core/timeline.py), for every kind of field the case files
and legal cases keep: a list of codes reads as their labels, a JSON list of anything as it is."""

from cases.models import Interview
from core.timeline import shown
from prosecution.models import TraffickerProfile


def test_a_list_of_codes_reads_as_labels_and_a_json_list_of_objects_as_it_is():
    assert shown(Interview, "acts", ["recruitment", "transfer"], {}, ()) == "Recruitment, Transfer"
    assert (
        shown(TraffickerProfile, "roles", ["recruiter", {"other": "x"}], {}, ())
        == "recruiter, {'other': 'x'}"
    )
    assert shown(Interview, "narrative", [], {}, ()) == []
    assert shown(Interview, "conducted_by", 7, {7: "anju"}, ("conducted_by",)) == "anju"
