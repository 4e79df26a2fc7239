"""The network page of an identity and the manual-link form (docs/people.md "Network")."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from people import network as net
from people import policies, services

DEPTH_CHOICES = [(str(d), str(d)) for d in net.DEPTHS]


class DepthForm(forms.Form):
    depth = forms.TypedChoiceField(
        label=gettext_lazy("Hops"), choices=DEPTH_CHOICES, coerce=int, initial=net.DEFAULT_DEPTH
    )


class LinkForm(forms.Form):
    other = forms.IntegerField(
        label=gettext_lazy("Other person's number"),
        min_value=1,
        help_text=gettext_lazy("The number on the other person's page (P-123: 123)."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why are they linked?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


def _depth(request) -> tuple[DepthForm, int]:
    form = DepthForm(request.GET if "depth" in request.GET else None)
    depth = form.cleaned_data["depth"] if form.is_bound and form.is_valid() else net.DEFAULT_DEPTH
    return form, depth


def _page(request, pk, *, depth_form, depth, link_form=None, status=200):
    data = net.network(request.user, pk, depth=depth)
    may_link = policies.may_link(request.user)
    if may_link and link_form is None:
        link_form = LinkForm()
    nodes = {n["id"]: n for n in data["nodes"]}
    edges = [{**e, "from": nodes[e["source"]], "to": nodes[e["target"]]} for e in data["edges"]]
    return render(
        request,
        "people/network.html",
        {
            "pk": int(pk),
            "data": data,
            "root": data["nodes"][0],
            "edges": edges,
            "depth_form": depth_form,
            "depth": depth,
            "link_form": link_form if may_link else None,
            "graph": {
                "nodes": data["nodes"],
                "edges": [
                    {
                        "source": e["source"],
                        "target": e["target"],
                        "kind": e["kind"],
                        "label": e["kind_label"],
                    }
                    for e in data["edges"]
                ],
                "root": data["root"],
            },
        },
        status=status,
    )


@login_required
@require_GET
def person_network(request, pk):
    depth_form, depth = _depth(request)
    return _page(request, pk, depth_form=depth_form, depth=depth)


@login_required
@require_POST
def person_link_create(request, pk):
    """Link this identity to another by hand (the first appearance of each whose names the user may
    see), with a reason; then back to the network page."""
    if not policies.may_link(request.user):
        raise Http404("No such person.")
    form = LinkForm(request.POST)
    if form.is_valid():
        this = net.link_appearance(request.user, pk)
        other = net.link_appearance(request.user, form.cleaned_data["other"])
        if this is None or other is None:
            form.add_error("other", _("You may link only people whose names you may see on both records."))
        else:
            try:
                services.person_link_create(
                    actor=request.user, from_person=this, to_person=other, reason=form.cleaned_data["reason"]
                )
            except PermissionDenied:
                raise Http404("No such person.") from None
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The two people are linked."))
                return redirect(reverse("people:network", kwargs={"pk": pk}))
    return _page(request, pk, depth_form=DepthForm(), depth=net.DEFAULT_DEPTH, link_form=form)
