"""Every write of case files (docs/cases.md), one module per part of the file:

- `opening`: opening cases (from a submitted interception, or by hand), numbering;
- `assignment`: giving a case to a case manager of its station;
- `workflow`: risk, closure request, approval or refusal, reopening;
- `consent`: consent decisions and overrides;
- `interviews`: victim interviews (Palermo derivation, home-situation alarms);
- `care`: services and follow-ups (with what became of the interception);
- `referrals`: referrals to a station or a user (grants with an expiry).

Each service takes keyword-only arguments and a required `actor`, checks the policy, validates, writes in
one transaction with its history and its access-log event.
"""

from .opening import case_open, cases_open_for_interception

__all__ = ["case_open", "cases_open_for_interception"]
