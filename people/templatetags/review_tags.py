"""Whether the nav shows "Matches" (the match-review queue) to the user."""

from django import template

register = template.Library()


@register.simple_tag
def may_review_matches(user) -> bool:
    """Reviewers (`people.policies.may_review`), computed once per request."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not hasattr(user, "_may_review_matches"):
        from people.policies import may_review

        user._may_review_matches = may_review(user)
    return user._may_review_matches
