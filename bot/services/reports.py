"""Reports: which forms an admin owes now, filling them (the form machine), storing, corrections, history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.dialog import Dialog
from bot.domain.forms import Answer, Draft, FormContext, advance, validate_figures
from bot.domain.models import Conversation, Municipality, Organization
from bot.domain.periods import Period, local_today, open_forms, period_by_key, summary_instant
from bot.domain.roadmap import Form, Roadmap, Value
from bot.services.access import AccessService, Actor
from bot.services.figures import own_norm
from bot.services.names import person_label
from bot.services.roadmaps import RoadmapCache
from bot.services.summary_views import own_norm_line
from bot.views.form_screens import Screen, screen_for, summary_lines
from bot.views.message import Button, Buttons, Outgoing, Reply
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import fmt_answer, fmt_date, fmt_number, fmt_time, short, zone_name
from storage.chats import ConversationRepo
from storage.directory import DirectoryRepo
from storage.people import PeopleRepo
from storage.reports import SOURCE_BEHALF, SOURCE_IMPORT, ReportRepo, Submission

REPORT, BEHALF, RETURN = CommandId.REPORT, CommandId.BEHALF, CommandId.RETURN
RETURN_COMMENT_LIMIT = 1000


class StaleDraft(Exception):
    def __init__(self, due: date) -> None:
        super().__init__(due.isoformat())
        self.due = due


@dataclass(frozen=True)
class DueForm:
    organization: Organization
    municipality: Municipality
    roadmap: Roadmap
    form: Form
    period: Period

    @property
    def ref(self) -> dict[str, Any]:
        return {"org": self.organization.id, "rm": self.roadmap.id, "form": self.form.id}


class ReportService:
    def __init__(self, roadmaps: RoadmapCache, report_repo: ReportRepo, directory_repo: DirectoryRepo,
                 people_repo: PeopleRepo, conversation_repo: ConversationRepo, access: AccessService) -> None:
        self.roadmaps = roadmaps
        self.report_repo = report_repo
        self.directory_repo = directory_repo
        self.people_repo = people_repo
        self.conversation_repo = conversation_repo
        self.access = access

    # -- what is due -----------------------------------------------------------------------

    async def due(self, actor: Actor, now: datetime) -> list[DueForm]:
        """What an admin is asked to send now: the open forms of their organizations, except those whose figures
        come from import files (v3 `filled_by = "import"`: nobody at the school answers them)."""
        out: list[DueForm] = []
        for org_id in actor.scopes("organization"):
            out += [d for d in await self._due_for(org_id, now) if d.form.filled_by != "import"]
        return out

    async def _due_for(self, org_id: str, now: datetime) -> list[DueForm]:
        """The forms open now for one organization."""
        org = await self.directory_repo.organization(org_id)
        muni = await self.directory_repo.municipality(org.municipality_id) if org else None
        region = await self.directory_repo.region(muni.region_id) if muni else None
        if org is None or muni is None or region is None:
            return []
        today = local_today(now, muni.timezone)
        return [DueForm(org, muni, rm, form, period) for rm, form, period
                in open_forms(await self.roadmaps.all(), org.type, region.name, muni.name, today)]

    async def may_fill(self, actor: Actor, org: Organization, behalf: bool) -> bool:
        """An organization's own admin fills its form; a coordinator only on behalf, inside their territory."""
        if not behalf:
            return actor.has("organization", org.id)
        return actor.is_coordinator and await self.access.oversees(actor, org)

    async def start(self, actor: Actor, now: datetime, ref: Mapping[str, Any] | None = None,
                    correct: bool = False, behalf: bool = False) -> Reply:
        """/report, the menu button or a reminder's button. `ref` comes from a payload: only a hint; with
        `behalf` it is a coordinator's «Заполнить отчёт», checked against their territory."""
        if behalf:
            if ref is None:
                return Reply(texts.NOT_ALLOWED)
            org = await self.directory_repo.organization(str(ref.get("org", "")))
            if org is None or not await self.may_fill(actor, org, True):
                return Reply(texts.NOT_ALLOWED)
            due = await self._due_for(org.id, now)
        elif not actor.scopes("organization"):
            return Reply(texts.REPORT_NOT_ADMIN)
        else:
            due = await self.due(actor, now)
        if ref is not None:
            due = [d for d in due if d.ref == {k: ref.get(k) for k in ("org", "rm", "form")}]
        if not due:
            return Reply(texts.REPORT_NONE)
        if len(due) > 1:
            # each button says what tells the options apart, first (two «Еженедельный монито…» buttons of two
            # schools had read alike on a phone): the school where the form is the same, else the form, numbered
            one_form = len({(d.roadmap.id, d.form.id) for d in due}) == 1
            one_org = len({d.organization.id for d in due}) == 1
            rows: Buttons = [[Button(short(d.organization.name if one_form else d.form.title if one_org else
                                           texts.REPORT_OPTION.format(n=i, organization=d.organization.name,
                                                                      title=d.form.title), 40),
                                     REPORT, d.ref)] for i, d in enumerate(due[:9], 1)]
            rows.append([Button(texts.BTN_CANCEL, CommandId.CANCEL, {"picker": 1})])
            lines = [texts.REPORT_PICK] + [f"{i}. {d.form.title} — {d.organization.name}, до "
                                           f"{fmt_date(d.period.due)}" for i, d in enumerate(due, 1)]
            # the list is numbered, so a number typed back picks from it (it had been «Не понял сообщение»)
            await self.conversation_repo.set(actor.person_id, Dialog.REPORT_PICK,
                                             {"refs": [d.ref for d in due], "fix": correct})
            return Reply("\n".join(lines), rows)
        return await self._open(actor, due[0], now, correct, behalf)

    async def pick(self, actor: Actor, text: str, now: datetime, conversation: Conversation) -> Reply:
        """A message after «Какой отчёт заполнить?»: the number of a form in the list opens it; anything else asks
        again, with the list as it stands now."""
        refs = conversation.data.get("refs") or []
        choice = text.strip().rstrip(".")
        correct = bool(conversation.data.get("fix"))
        if choice.isdecimal() and 1 <= int(choice) <= len(refs):
            return await self.start(actor, now, refs[int(choice) - 1], correct)
        again = await self.start(actor, now, None, correct)
        if again.text.startswith(texts.REPORT_PICK):
            return Reply(texts.REPORT_PICK_NUMBER.format(n=len(refs)) + "\n\n" + again.text, again.buttons)
        return again

    async def _open(self, actor: Actor, d: DueForm, now: datetime, correct: bool, behalf: bool = False) -> Reply:
        existing = await self.report_repo.submission(d.organization.id, d.roadmap.id, d.form.id, d.period.key)
        keys = [i.key for i in d.form.indicators_for(d.organization.type)]
        draft = Draft(d.roadmap.id, d.form.id, d.organization.id, d.period.key, keys, started_at=now.isoformat(),
                      behalf=behalf)
        prefix = texts.BEHALF_NOTE.format(organization=d.organization.name, title=d.form.title,
                                          period=fmt_date(d.period.due)) if behalf else ""
        if existing is not None:
            if not correct:
                who = await self.people_repo.person(existing.updated_by)
                name = person_label(who.full_name if who else None, existing.updated_by)
                if existing.returned:
                    text = texts.REPORT_RETURNED.format(title=d.form.title, period=fmt_date(d.period.due),
                                                        comment=existing.return_comment or "—")
                else:
                    text = texts.REPORT_ALREADY.format(
                        title=d.form.title, organization=d.organization.name, period=fmt_date(d.period.due),
                        when=fmt_time(existing.updated_at, d.municipality.timezone, year=False), name=name)
                return Reply("\n\n".join(filter(None, (prefix, text))), [[Button(
                    texts.REPORT_EDIT, BEHALF if behalf else REPORT, {"fix": 1, **d.ref}),
                                              Button(texts.BTN_KEEP, CommandId.CANCEL, {"keep": 1})]])
            figures = await self.report_repo.figures(existing.id)
            draft.figures = {k: v for k, v in figures.items() if k in keys}
            draft.correcting = True
            if set(draft.figures) == set(keys):
                draft.mode = "summary"
            else:
                draft.step = next(i for i, k in enumerate(keys) if k not in draft.figures)
        await self.conversation_repo.set(actor.person_id, Dialog.FORM, draft.to_dict())
        ctx = await self._context(draft, d.organization, d.municipality, d.form)
        return _reply(screen_for(ctx, draft, prefix))

    # -- filling ---------------------------------------------------------------------------

    async def current_screen(self, actor: Actor, now: datetime, prefix: str = "") -> Reply | None:
        """Where the person is in their form (after an interruption or a restart); None when there is no
        open form, or its period is over (the draft is then closed)."""
        try:
            loaded = await self._load(actor, now=now)
        except StaleDraft:
            await self.conversation_repo.clear(actor.person_id)
            return None
        if loaded is None:
            return None
        draft, ctx = loaded
        return _reply(screen_for(ctx, draft, prefix))

    async def answer(self, actor: Actor, answer: Answer, now: datetime,
                     conversation: Conversation | None = None) -> Reply:
        """`conversation`: the person's state if the caller has already read it."""
        try:
            loaded = await self._load(actor, conversation, now)
        except StaleDraft as stale:
            # A draft left open past its period's day is not filed into that period now.
            await self.conversation_repo.clear(actor.person_id)
            return Reply(texts.FORM_STALE.format(period=fmt_date(stale.due)))
        if loaded is None:
            await self.conversation_repo.clear(actor.person_id)
            return Reply(texts.FORM_GONE)
        draft, ctx = loaded
        was_correcting = draft.correcting
        step = advance(ctx, draft, answer)
        if step.cancelled:
            await self.conversation_repo.clear(actor.person_id)
            return Reply(texts.FORM_CANCELLED_KEPT if was_correcting else texts.FORM_CANCELLED)
        assert step.draft is not None
        if step.submit:
            return await self._submit(actor, step.draft, ctx, now)
        await self.conversation_repo.set(actor.person_id, Dialog.FORM, step.draft.to_dict())
        return _reply(screen_for(ctx, step.draft, step.note))

    async def _submit(self, actor: Actor, draft: Draft, ctx: FormContext, now: datetime) -> Reply:
        roadmap = await self.roadmaps.get(draft.roadmap_id)
        form = _form(roadmap, draft.form_id)
        org = await self.directory_repo.organization(draft.organization_id)
        muni = await self.directory_repo.municipality(org.municipality_id) if org else None
        period = period_by_key(form, roadmap, draft.period) if form and roadmap else None
        # Roles are re-read at the moment of writing: a revoked admin cannot send a stale draft.
        if not roadmap or not form or not org or not muni or not period or \
                not await self.may_fill(await self.access.actor(actor.person_id), org, draft.behalf):
            await self.conversation_repo.clear(actor.person_id)
            return Reply(texts.FORM_GONE)
        problems = validate_figures(draft.keys, draft.figures, ctx.indicators)
        if problems:
            draft.mode = "summary"
            await self.conversation_repo.set(actor.person_id, Dialog.FORM, draft.to_dict())
            return _reply(screen_for(ctx, draft, texts.FORM_BROKEN))
        late = now > summary_instant(form, period, muni.timezone)
        result = await self.report_repo.save(org.id, roadmap.id, form.id, period.key, dict(draft.figures),
                                             actor.person_id, now, late, SOURCE_BEHALF if draft.behalf else None)
        await self.conversation_repo.clear(actor.person_id)
        lines = [(texts.FORM_SENT if result.created else texts.FORM_SENT_CORRECTED).format(
            title=form.title, organization=org.name, period=fmt_date(period.due))]
        prev = result.previous
        if prev is not None and prev.updated_by != actor.person_id and \
                prev.updated_at >= datetime.fromisoformat(draft.started_at) and not draft.correcting:
            who = await self.people_repo.person(prev.updated_by)
            lines.append(texts.FORM_SENT_OVER.format(name=person_label(who.full_name if who else None,
                                                                  prev.updated_by)))
        if late:
            lines.append(texts.FORM_SENT_LATE)
        baselines = await self.directory_repo.baselines_of(org.id) \
            if any(t.denominator.startswith("@baseline.") for t in roadmap.target) else {}
        targets = organization_targets(roadmap, org, draft.figures, baselines)
        if targets:
            lines += ["", texts.FORM_TARGETS_BEHALF if draft.behalf else texts.FORM_TARGETS, *targets]
        notices: tuple[Outgoing, ...] = ()
        if draft.behalf:  # the school learns who filled its report and can look at it
            who = await self.people_repo.person(actor.person_id)
            notice = Reply(texts.BEHALF_NOTICE.format(
                name=who.full_name if who and who.full_name else texts.COORDINATOR, title=form.title,
                organization=org.name, period=fmt_date(period.due),
                answers="\n".join(summary_lines(ctx, draft))), inline=True)
            notices = tuple(Outgoing(admin.person_id, notice, f"behalf:{result.submission_id}:{now.isoformat()}:{admin.person_id}")
                            for admin in await self.people_repo.holders("organization", org.id))
        if prev is not None and prev.returned and prev.returned_by and prev.returned_by != actor.person_id:
            # the coordinator who returned it hears the correction came
            told = Reply(texts.RETURN_CORRECTED_NOTICE.format(organization=org.name, title=form.title,
                                                              period=fmt_date(period.due)))
            notices += (Outgoing(prev.returned_by, told, f"corrected:{result.submission_id}:{now.isoformat()}"),)
        return Reply("\n".join(lines), notices=notices)

    async def _load(self, actor: Actor, conv: Conversation | None = None,
                    now: datetime | None = None) -> tuple[Draft, FormContext] | None:
        """The open draft and what its form needs; raises StaleDraft when its period's day has passed."""
        if conv is None:
            conv = await self.conversation_repo.get(actor.person_id)
        if conv is None or conv.state != Dialog.FORM:
            return None
        try:
            draft = Draft.from_dict(conv.data)
        except TypeError:
            return None
        roadmap = await self.roadmaps.get(draft.roadmap_id)
        form = _form(roadmap, draft.form_id)
        org = await self.directory_repo.organization(draft.organization_id)
        if roadmap is None or form is None or org is None or not await self.may_fill(actor, org, draft.behalf):
            return None
        if draft.keys != [i.key for i in form.indicators_for(org.type)]:
            return None  # the roadmap changed under the draft
        muni = await self.directory_repo.municipality(org.municipality_id)
        assert muni is not None
        due = date.fromisoformat(draft.period)
        if now is not None and due < local_today(now, muni.timezone):
            raise StaleDraft(due)
        return draft, await self._context(draft, org, muni, form)

    async def _timezone(self, organization_id: str) -> str:
        """The organization's wall clock: its municipality's zone (Moscow when the directory lost it)."""
        org = await self.directory_repo.organization(organization_id)
        muni = await self.directory_repo.municipality(org.municipality_id) if org else None
        return muni.timezone if muni else "Europe/Moscow"

    async def _context(self, draft: Draft, org: Organization, muni: Municipality, form: Form) -> FormContext:
        previous = await self.report_repo.latest_before(org.id, draft.roadmap_id, draft.form_id, draft.period)
        return FormContext(title=form.title, organization=org.name,
                           period_label=fmt_date(datetime.fromisoformat(draft.period)),
                           indicators={i.key: i for i in form.indicator}, previous=previous,
                           ceilings=await self._ceilings(draft.roadmap_id, org, form))

    async def _ceilings(self, roadmap_id: str, org: Organization, form: Form) -> dict[str, int]:
        """Answers that count against the organization's known total (a share of everyone): that total."""
        roadmap = await self.roadmaps.get(roadmap_id)
        keys = roadmap.baseline_ceilings(form, org.type) if roadmap else {}
        baselines = await self.directory_repo.baselines_of(org.id) if keys else {}
        return {k: baselines[b] for k, b in keys.items() if b in baselines}

    # -- review ----------------------------------------------------------------------------

    async def begin_return(self, actor: Actor, args: Mapping[str, Any], now: datetime) -> Reply:
        """«Вернуть на доработку» under an organization's view: the comment is asked next."""
        found = await self._returnable(actor, args, now)
        if isinstance(found, str):
            return Reply(found)
        sub, d = found
        await self.conversation_repo.set(actor.person_id, Dialog.RETURN_COMMENT, {"submission": sub.id, **d.ref})
        return Reply(texts.RETURN_ASK.format(title=d.form.title, organization=d.organization.name,
                                             period=fmt_date(d.period.due)),
                     [[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])

    async def return_comment(self, actor: Actor, text: str, now: datetime,
                             conversation: Conversation | None = None) -> Reply:
        """The comment: the report stops counting, and the organization's admins get it with «Исправить»."""
        conv = conversation or await self.conversation_repo.get(actor.person_id)
        data = conv.data if conv and conv.state == Dialog.RETURN_COMMENT else {}
        comment = " ".join(text.split())
        if not comment:
            return Reply(texts.RETURN_ASK_AGAIN, [[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])
        if len(comment) > RETURN_COMMENT_LIMIT:
            return Reply(texts.RETURN_TOO_LONG.format(limit=RETURN_COMMENT_LIMIT, length=len(comment)),
                         [[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])
        await self.conversation_repo.clear(actor.person_id)
        found = await self._returnable(await self.access.actor(actor.person_id), data, now)
        if isinstance(found, str):
            return Reply(found)
        sub, d = found
        if sub.id != data.get("submission"):
            return Reply(texts.RETURN_GONE)
        await self.report_repo.return_for_revision(sub.id, actor.person_id, now, comment)
        who = await self.people_repo.person(actor.person_id)
        notice = Reply(texts.RETURNED_NOTICE.format(
            name=who.full_name if who and who.full_name else texts.COORDINATOR, title=d.form.title,
            organization=d.organization.name, period=fmt_date(d.period.due), comment=comment),
            [[Button(texts.REPORT_EDIT, REPORT, {"fix": 1, **d.ref})]], inline=True)
        admins = await self.people_repo.holders("organization", d.organization.id)
        notices = tuple(Outgoing(a.person_id, notice, f"return:{sub.id}:{now.isoformat()}:{a.person_id}") for a in admins)
        done = texts.RETURN_DONE.format(title=d.form.title, organization=d.organization.name,
                                        period=fmt_date(d.period.due))
        return Reply(done + "\n" + (texts.RETURN_TOLD.format(n=len(admins)) if admins else texts.RETURN_NO_ADMIN),
                     notices=notices)

    async def _returnable(self, actor: Actor, args: Mapping[str, Any],
                          now: datetime) -> tuple[Submission, DueForm] | str:
        """The current report a coordinator may return, or why not (in Russian)."""
        org = await self.directory_repo.organization(str(args.get("org", "")))
        if org is None or not actor.is_coordinator or not await self.access.oversees(actor, org):
            return texts.NOT_ALLOWED
        due = [d for d in await self._due_for(org.id, now)
               if d.ref == {k: args.get(k) for k in ("org", "rm", "form")}]
        if not due:
            return texts.RETURN_GONE
        sub = await self.report_repo.submission(org.id, due[0].roadmap.id, due[0].form.id, due[0].period.key)
        if sub is None:
            return texts.RETURN_NOT_SENT
        if sub.returned:
            return texts.RETURN_ALREADY.format(comment=sub.return_comment or "—")
        return sub, due[0]

    # -- history ---------------------------------------------------------------------------

    async def history(self, actor: Actor, query: str) -> Reply:
        return Reply(await self._history(actor, query))

    async def _history(self, actor: Actor, query: str) -> str:
        if not actor.is_coordinator:
            return texts.NOT_ALLOWED
        if not query.strip():
            return texts.HISTORY_USAGE
        matches = await self.access.resolve_organization(actor, query)
        if len(matches) != 1:
            if not matches:
                return texts.INVITE_NOT_FOUND.format(query=query[:100], what=texts.HISTORY_USAGE)
            return texts.INVITE_AMBIGUOUS.format(query=query[:100], names="; ".join(m.name for m in matches[:5]))
        org_id = matches[0].id
        changes = await self.report_repo.history(org_id)
        returns = await self.report_repo.returns(org_id)
        if not changes and not returns:
            return texts.HISTORY_NONE
        indicators = {i.key: i for rm in await self.roadmaps.all() for f in rm.form for i in f.indicator}
        forms = {f.id: f.title for rm in await self.roadmaps.all() for f in rm.form}
        timezone = await self._timezone(org_id)
        newest = max([c.changed_at for c in changes] + [r.returned_at for r in returns])
        lines = [texts.HISTORY_HEAD.format(organization=matches[0].name,
                                           zone=zone_name(newest.astimezone(ZoneInfo(timezone))))]
        events: list[tuple[datetime, int, str]] = []  # newest first; a return after the changes it judged
        for n, c in enumerate(changes):
            ind = indicators.get(c.indicator_key)
            q, kind = (ind.header, ind.kind) if ind else (c.indicator_key, "count")
            events.append((c.changed_at, -n, texts.HISTORY_LINE.format(
                when=fmt_time(c.changed_at, timezone),
                name=_who(c.first_name, c.last_name, c.changed_by) + source_label(c.source),
                form=forms.get(c.form_id, c.form_id),
                period=fmt_date(datetime.fromisoformat(c.period)), question=q,
                old="—" if c.first else fmt_answer(kind, c.old_value, 40),
                new=fmt_answer(kind, c.new_value, 40),
                late=texts.HISTORY_LATE if c.late else "")))
        for n, r in enumerate(returns):
            events.append((r.returned_at, 1 - n, texts.HISTORY_RETURN.format(
                when=fmt_time(r.returned_at, timezone), name=_who(r.first_name, r.last_name, r.returned_by),
                form=forms.get(r.form_id, r.form_id), period=fmt_date(datetime.fromisoformat(r.period)),
                comment=short(r.comment, 200))))
            if r.resubmitted_at is not None and r.resubmitted_by is not None:  # after the figures it sent (-n)
                events.append((r.resubmitted_at, 2, texts.HISTORY_CORRECTED.format(
                    when=fmt_time(r.resubmitted_at, timezone), name=person_label(r.resubmitter_name,
                                                                                  r.resubmitted_by),
                    form=forms.get(r.form_id, r.form_id), period=fmt_date(datetime.fromisoformat(r.period)))))
        events.sort(key=lambda e: (e[0], e[1]), reverse=True)
        return "\n".join(lines + [text for _, _, text in events[:50]])


def _who(first_name: str, last_name: str, person_id: int) -> str:
    return person_label(f"{first_name} {last_name}", person_id)


def source_label(source: str | None) -> str:
    """How a figure came, after the name of who entered it: nothing for the organization's own admin."""
    if source == SOURCE_BEHALF:
        return texts.SOURCE_BEHALF
    if source and source.startswith(SOURCE_IMPORT):
        return texts.SOURCE_IMPORT.format(file=source.removeprefix(SOURCE_IMPORT))
    return ""


def organization_targets(roadmap: Roadmap, org: Organization, figures: Mapping[str, Value | None],
                         baselines: Mapping[str, int]) -> list[str]:
    """Each target of the roadmap that counts this organization: its value against the goal. A baseline
    denominator is the organization's known total (its teachers, its pupils) from the directory."""
    lines = []
    for t in roadmap.target:
        own = own_norm(t, org, figures, baselines)
        if own is not None:  # v3 `each`: its own norm, met or not
            if t.numerator in figures:
                lines.append(own_norm_line(t, own))
            continue
        fraction = t.fraction(org.type, figures, baselines)
        if fraction is None:
            continue
        num, den = fraction
        if t.kind == "ratio":  # «150 из 12» would read as a share: a ratio is its value alone
            lines.append(texts.FORM_TARGET_RATIO.format(title=t.title, value=t.shown(t.value(num, den)),
                                                        goal=t.goal_label))
            continue
        lines.append(texts.FORM_TARGET.format(title=t.title, value=f"{fmt_number(num)} из {fmt_number(den)}",
                                              percent=t.shown(t.value(num, den)), goal=t.goal_label))
    return lines


def _form(roadmap: Roadmap | None, form_id: str) -> Form | None:
    if roadmap is None:
        return None
    return next((f for f in roadmap.form if f.id == form_id), None)


def _reply(screen: Screen) -> Reply:
    return Reply(screen.text, screen.buttons)
