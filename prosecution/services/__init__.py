"""Every write of prosecution (docs/prosecution.md), one module per part:

- `cases`: opening a legal case, its complaint, its stages (the state machine), its victims;
- `suspects`: suspects (defendants), arrests and their verification;
- `charges`: court cases, charges, verdicts, sentences, appeals;
- `hearings`: hearings, their reminders, comments;
- `profiles`: trafficker profiles and prior records.

Each service takes keyword-only arguments and a required `actor`, checks the policy, validates, writes in
one transaction with its history and its access-log event.
"""
