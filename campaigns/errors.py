"""The campaigns' one error: a campaign that cannot be made or changed as asked."""


class CampaignError(ValueError):
    """The message says why, in words."""
