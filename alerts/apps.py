from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self):
        from core import events

        from . import services, tasks

        # Apps lower in the flow publish; alerts subscribes (they never import alerts). Work for a worker goes
        # through the outbox (core.outbox), so a broker outage neither fails their request nor loses an alert.
        # interception: in its transaction, queue rules 1 and 2 when someone at the station would be told.
        events.subscribe("interception.submitted", services.on_interception_submitted)
        # interception.selectors (and other selectors): rule 4, repeated denied accesses by one user.
        events.subscribe("access.denied", tasks.check_denied_accesses, after_commit=True)
        # accounts publishes login and second-factor events (it does not import alerts).
        events.subscribe("login.failed", services.on_login_failed)
        # cases: in its transaction (docs/cases.md).
        from . import case_alerts

        events.subscribe("case.opened", case_alerts.on_case_opened)
        events.subscribe("case.assigned", case_alerts.on_case_assigned)
        events.subscribe("case.home_alarm", case_alerts.on_home_alarm)
        events.subscribe("case.follow_up_due", case_alerts.on_follow_up_due)
        events.subscribe("case.closure_requested", case_alerts.on_closure_requested)
        # prosecution: in its transaction (docs/prosecution.md).
        from . import legal_alerts

        events.subscribe("legal_case.hearing_due", legal_alerts.on_hearing_due)
        events.subscribe("legal_case.reoffending", legal_alerts.on_reoffending)
        for name in ("mfa.device_enrolled", "mfa.device_replaced", "mfa.recovery_codes_issued"):
            events.subscribe(name, services.notify_account_security)
