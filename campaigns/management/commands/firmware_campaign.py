"""python manage.py firmware_campaign: firmware campaigns from the command line.

    firmware_campaign create --organization ID [--type ID] --image ID [--canary N]
        [--waves 10%,50%,100%] [--soak-minutes M] [--confirm-timeout-minutes M]
        [--max-failed-percent P] [--max-down-percent P] [--down-retries N]
        [--retry-minutes M] [--serials FILE] [--saved-view ID] [--not-before ISO] [--hours 22-6]
        [--time-zone ZONE] [--name NAME]                          prints the new id
    firmware_campaign start|pause|resume|cancel ID
    firmware_campaign show ID                                    state and counts, one a line
    firmware_campaign rollback ID --image PREVIOUS               prints the draft's id

The command line acts for every organization; each change is audit-logged by
"(command line)". A started or resumed campaign is stepped by the workers (beat).
"""

from argparse import ArgumentTypeError
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from campaigns import services
from campaigns.errors import CampaignError
from campaigns.models import Campaign
from campaigns.serials import MAX_FILE_BYTES, serials_in
from campaigns.summary import show_lines
from campaigns.tasks import queue_step
from common import moments
from common.command_line import whole_number


# The argparse `type`s refuse with ArgumentTypeError: see common.command_line for why.
def amount(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:
        raise ArgumentTypeError(f"Expected a number of at least 0, not {value!r}.")
    return number


def moment(value: str) -> datetime:
    try:
        return moments.parse_iso(value)
    except ValueError as error:
        raise ArgumentTypeError(str(error)) from None


def hours(value: str) -> tuple[int, int]:
    start, _, end = value.partition("-")
    try:
        return int(start), int(end)
    except ValueError:
        raise ArgumentTypeError(
            f"Expected hours such as 22-6 (from 22:00 to 06:00), not {value!r}."
        ) from None


class Command(BaseCommand):
    help = "Create, start, pause, resume, cancel and show firmware campaigns."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="create a draft campaign, print its id")
        create.add_argument("--organization", type=whole_number(1), required=True)
        create.add_argument("--type", type=whole_number(1), help="devices of this type only")
        create.add_argument("--image", type=whole_number(1), required=True, help="image id")
        create.add_argument("--canary", type=whole_number(1), default=1)
        create.add_argument("--waves", default="10%,50%,100%", help="cumulative percentages")
        create.add_argument("--soak-minutes", type=amount, default=10)
        create.add_argument("--confirm-timeout-minutes", type=amount, default=30)
        create.add_argument("--max-failed-percent", type=amount, default=10)
        create.add_argument("--max-down-percent", type=amount, default=10)
        create.add_argument("--down-retries", type=whole_number(0), default=3)
        create.add_argument("--retry-minutes", type=amount, default=5)
        create.add_argument("--serials", help="a text or CSV file of serial numbers, one a line")
        create.add_argument("--saved-view", type=whole_number(1),
                            help="only the devices this saved view lists (its id)")  # fmt: skip
        create.add_argument("--not-before", type=moment, help="start no earlier than this")
        create.add_argument("--hours", type=hours, help="send only in these hours, e.g. 22-6")
        create.add_argument("--time-zone", default="UTC", help="of --hours, e.g. America/Bogota")
        create.add_argument("--name", default="")
        for name in ("start", "pause", "resume", "cancel", "show"):
            command = commands.add_parser(name)
            command.add_argument("campaign_id", type=whole_number(1))
        rollback = commands.add_parser(
            "rollback", help="a draft of the previous image for the devices reached; prints its id"
        )
        rollback.add_argument("campaign_id", type=whole_number(1))
        rollback.add_argument("--image", type=whole_number(1), required=True,
                              help="the previous image's id")  # fmt: skip

    def handle(self, *args, command, **options):
        if command == "create":
            return self._create(**options)
        campaign = Campaign.objects.filter(pk=options["campaign_id"]).first()
        if campaign is None:
            raise CommandError(f"There is no campaign {options['campaign_id']}.")
        if command == "show":
            return self._show(campaign)
        try:
            if command == "rollback":
                rollback = services.rollback_campaign(
                    campaign=campaign, user=None, image_id=options["image"]
                )
                self.stdout.write(str(rollback.pk))
                return
            if command == "start":
                services.start_campaign(campaign=campaign, user=None, enqueue=queue_step)
            elif command == "resume":
                services.resume_campaign(campaign=campaign, user=None, enqueue=queue_step)
            else:
                change = {"pause": services.pause_campaign, "cancel": services.cancel_campaign}
                change[command](campaign=campaign, user=None)
        except CampaignError as error:
            raise CommandError(str(error)) from None
        campaign.refresh_from_db()
        self.stdout.write(f"Campaign {campaign.pk}: {campaign.state}.")

    def _create(self, **options):
        serials = ()
        if options["serials"]:
            try:
                with open(options["serials"], "rb") as file:
                    serials = serials_in(file.read(MAX_FILE_BYTES + 1))
            except OSError as error:
                raise CommandError(
                    f"Could not read {options['serials']}: {error.strerror}."
                ) from None
            except CampaignError as error:
                raise CommandError(f"{options['serials']}: {error}") from None
        window = options["hours"] or (None, None)
        new = services.NewCampaign(
            organization_id=options["organization"], type_id=options["type"],
            image_id=options["image"], serials=serials, name=options["name"],
            saved_view_id=options["saved_view"],
            canary=options["canary"], waves=options["waves"],
            soak_minutes=options["soak_minutes"],
            confirm_timeout_minutes=options["confirm_timeout_minutes"],
            max_failed_percent=options["max_failed_percent"],
            max_down_percent=options["max_down_percent"],
            down_retries=options["down_retries"], retry_minutes=options["retry_minutes"],
            not_before=options["not_before"], hours_from=window[0], hours_to=window[1],
            time_zone=options["time_zone"],
        )  # fmt: skip
        try:
            campaign = services.create_campaign(user=None, new=new)
        except CampaignError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(campaign.pk))

    def _show(self, campaign: Campaign):
        for line in show_lines(campaign):
            self.stdout.write(line)
