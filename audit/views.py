from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def event_list(request):
    raise Http404  # the auditor's pages are being built
