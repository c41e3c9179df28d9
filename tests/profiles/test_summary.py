"""The health summary the overview includes: counts per state and the worst few."""

from django.template.loader import render_to_string

from accounts import tenancy
from profiles.selectors import profile_health_summary


def test_the_summary_counts_every_visible_profile_by_state(polled, noc):
    summary = profile_health_summary(tenancy.scope_for(noc))
    assert summary.total == len(polled.items)
    assert sum(c.count for c in summary.counts) == len(polled.items)
    assert [c.state for c in summary.counts] == ["failing", "degraded", "unknown", "healthy"]


def test_the_worst_few_are_failing_first_and_never_healthy(polled, noc):
    summary = profile_health_summary(tenancy.scope_for(noc), worst=4)
    states = [row.judgement.state for row in summary.worst]
    assert len(states) == 4
    assert states == sorted(states, key=["failing", "degraded", "unknown"].index)
    assert states[0] == "failing"


def test_a_tenant_summary_leaves_out_other_organizations(polled, tenant_admin):
    summary = profile_health_summary(tenancy.scope_for(tenant_admin))
    assert summary.total == 0  # organization 5's test name matches no profile


def test_before_the_first_poll_the_summary_says_so_without_calling_the_upstream(profile_model, noc):
    summary = profile_health_summary(tenancy.scope_for(noc))
    assert summary.notice == "The profiles have not been polled yet"
    assert summary.total == 0


def test_the_include_links_each_state_and_the_worst_profiles(polled, noc):
    summary = profile_health_summary(tenancy.scope_for(noc))
    html = render_to_string("profiles/includes/health_summary.html", {"profile_health": summary})
    assert 'href="/profiles/?state=failing"' in html
    assert f'href="/profiles/{summary.worst[0].profile.id}/"' in html
    assert "Data as of" in html
