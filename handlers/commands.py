"""Every command and button the bot knows, declared once, with its handler.

A handler translates: it makes one service call and shows the answer. Menus, /help, routing and
the README's command table are derived from `COMMANDS` (see `handlers.table`). To add a command,
write its handler here and add its declaration to `COMMANDS`."""

from __future__ import annotations

from bot.domain.dialog import Dialog
from bot.domain.forms import answer_from
from bot.views.message import Reply
from bot.words import texts
from bot.words.commands import CommandId

from .context import Context
from .table import (
    ADMIN,
    COORDINATORS,
    EVERYONE,
    MUNICIPAL,
    OWNER,
    REGIONAL,
    Command,
    HelpLine,
    State,
    help_lines,
)

# -- for everyone ---------------------------------------------------------------------------------


async def start(ctx: Context) -> None:
    """«Начать»: a newcomer is greeted afresh; everyone else gets their commands."""
    if not ctx.actor.registered:
        await ctx.show(await ctx.services.dialogs.greet(ctx.actor, again=True, now=ctx.now))
        return
    await show_help(ctx)


async def show_help(ctx: Context) -> None:
    if not ctx.actor.registered:
        await ctx.show(await ctx.services.dialogs.greet(ctx.actor, again=False))
        return
    lines = [texts.HELP_HEADER, *help_lines(COMMANDS, ctx.actor), texts.HELP_CODE]
    await ctx.show(Reply("\n".join(lines)))


async def whoami(ctx: Context) -> None:
    await ctx.show(await ctx.services.people.whoami(ctx.actor))


async def show_menu(ctx: Context) -> None:
    """The keyboard is gone (another device, an old chat): the menu again."""
    await ctx.show(Reply(texts.MENU_SHOWN))


async def cancel(ctx: Context) -> None:
    args = ctx.incoming.args
    await ctx.show(await ctx.services.dialogs.cancel(ctx.actor, ctx.now, keep=args.get("keep") == 1,
                                                     picker=args.get("picker") == 1))


# -- organization admins ---------------------------------------------------------------------------


async def report(ctx: Context) -> None:
    """/report, the menu button, or a reminder's or a picker's button naming one form."""
    args = ctx.incoming.args if ctx.incoming.command == CommandId.REPORT else {}
    ref = args if "org" in args else None
    await ctx.show(await ctx.services.reports.start(ctx.actor, ctx.now, ref, correct=args.get("fix") == 1))


async def report_on_behalf(ctx: Context) -> None:
    """A coordinator's «Заполнить отчёт» under its view: the same form, marked as theirs."""
    args = ctx.incoming.args
    await ctx.show(await ctx.services.reports.start(ctx.actor, ctx.now, args, correct=args.get("fix") == 1,
                                                    behalf=True))


async def form_answer(ctx: Context) -> None:
    """A message while a form is open: an answer, a button of the form, or «Отмена»."""
    answer = answer_from(ctx.incoming.text, ctx.incoming.command, ctx.incoming.args)
    await ctx.show(await ctx.services.reports.answer(ctx.actor, answer, ctx.now, ctx.conversation))


async def form_button(ctx: Context) -> None:
    """A form's button pressed after that form was closed (an old message)."""
    await ctx.show(await ctx.services.reports.current_screen(ctx.actor, ctx.now, texts.FORM_CONTINUE)
                   or Reply(texts.FORM_CLOSED))


# -- roadmap items ----------------------------------------------------------------------------------


async def items(ctx: Context) -> None:
    await ctx.show(await ctx.services.items.list_open(ctx.actor, ctx.now))


async def items_page(ctx: Context) -> None:
    """«Дальше →» / «← Назад» under /items."""
    page = ctx.incoming.args.get("p")
    await ctx.show(await ctx.services.items.list_open(ctx.actor, ctx.now, page if isinstance(page, int) else 0))


async def item_done(ctx: Context) -> None:
    """«Выполнено» under a reminder or in /items: which item is in the arguments, checked by the service."""
    await ctx.show(await ctx.services.items.confirm(ctx.actor, ctx.incoming.args, ctx.now))


async def item_evidence(ctx: Context) -> None:
    """The link a roadmap item asks for, after «Выполнено»."""
    await ctx.show(await ctx.services.items.evidence(ctx.actor, ctx.incoming.text, ctx.now,
                                                    ctx.conversation))


# -- coordinators -----------------------------------------------------------------------------------


async def status(ctx: Context) -> None:
    """/status [запрос], or a choice pressed among several matches (its query in the button)."""
    pressed = ctx.incoming.args.get("q") if ctx.incoming.command == "status" else None
    query = pressed if isinstance(pressed, str) else ctx.argument
    # «Все цели» under an organization's card: the same card whole (only the presser's own views, as always)
    full = ctx.incoming.command == "status" and ctx.incoming.args.get("all") == 1
    await ctx.show(await ctx.services.summary.for_actor(ctx.actor, query[:200], ctx.now, full=full))


async def chart(ctx: Context) -> None:
    """/chart, or «График» under a summary (its territory in the arguments, checked by the service)."""
    await ctx.show(await ctx.services.summary.chart_for(ctx.actor, ctx.now, ctx.incoming.args, _chat(ctx)))


async def export(ctx: Context) -> None:
    """/export [дд.мм.гггг], or «Excel» under a summary."""
    await ctx.show(await ctx.services.exports.export_for(ctx.actor, ctx.now, ctx.argument, ctx.incoming.args,
                                                         _chat(ctx)))


async def status_view(ctx: Context) -> None:
    """«Кто не сдал», «Пункты», «По типам», «По муниципалитетам» under a summary."""
    await ctx.show(await ctx.services.summary.detail(ctx.actor, ctx.incoming.args, ctx.now, _chat(ctx)))


async def status_ask_organization(ctx: Context) -> None:
    await ctx.show(await ctx.services.summary.ask_organization(ctx.actor))


async def report_pick(ctx: Context) -> None:
    """A message after «Какой отчёт заполнить?»: the number of a form in the list."""
    await ctx.show(await ctx.services.reports.pick(ctx.actor, ctx.incoming.text, ctx.now, ctx.conversation))


async def status_query(ctx: Context) -> None:
    """The organization's name typed after «Организация…»."""
    await ctx.show(await ctx.services.summary.organization_query(ctx.actor, ctx.incoming.text, ctx.now))


def _chat(ctx: Context) -> int | None:
    return ctx.incoming.peer if ctx.incoming.in_chat else None


async def history(ctx: Context) -> None:
    await ctx.show(await ctx.services.reports.history(ctx.actor, ctx.argument))


async def return_report(ctx: Context) -> None:
    """«Вернуть на доработку» under an organization's view: which report is in the arguments, checked."""
    await ctx.show(await ctx.services.reports.begin_return(ctx.actor, ctx.incoming.args, ctx.now))


async def return_comment(ctx: Context) -> None:
    """The coordinator's comment to a returned report."""
    await ctx.show(await ctx.services.reports.return_comment(ctx.actor, ctx.incoming.text, ctx.now,
                                                             ctx.conversation))


async def receive_files(ctx: Context) -> None:
    """A private message with files: a coordinator's figures to import (checked, then «Применить»)."""
    await ctx.show(await ctx.services.imports.receive(ctx.actor, ctx.incoming.documents, ctx.now))


async def apply_import(ctx: Context) -> None:
    await ctx.show(await ctx.services.imports.confirm(ctx.actor, ctx.now, ctx.conversation))


async def import_waiting(ctx: Context) -> None:
    """Text while a checked file waits for «Применить»: a typed «применить» or «да» applies, «нет» cancels."""
    said = ctx.incoming.text.strip().casefold().rstrip(".!")
    if said in ("применить", "примени", "да", "записать", "ок", "ok"):
        await apply_import(ctx)
    elif said in ("нет", "не надо", "не применять"):
        await cancel(ctx)
    else:
        await ctx.show(ctx.services.imports.waiting())


async def template(ctx: Context) -> None:
    await ctx.show(await ctx.services.imports.template(ctx.actor, ctx.now))


async def invite(ctx: Context) -> None:
    await ctx.show(await ctx.services.people.issue_invite(ctx.actor, ctx.argument, ctx.now))


async def invites(ctx: Context) -> None:
    await ctx.show(await ctx.services.people.issue_all(ctx.actor, ctx.now, ctx.argument))


async def bind_in_private(ctx: Context) -> None:
    await ctx.show(Reply(texts.BIND_ONLY_IN_CHAT))


# -- group chats ----------------------------------------------------------------------------------------


async def chat_help(ctx: Context) -> None:
    await ctx.show(await ctx.services.summary.chat_help(ctx.incoming.peer, ctx.incoming.messenger))


async def chat_bind(ctx: Context) -> None:
    await ctx.show(await ctx.services.people.bind_chat(ctx.actor, ctx.incoming.peer, ctx.argument))


async def chat_status(ctx: Context) -> None:
    await ctx.show(await ctx.services.summary.for_chat(ctx.actor, ctx.incoming.peer, ctx.now, ctx.argument))


async def chat_items(ctx: Context) -> None:
    await ctx.show(await ctx.services.summary.chat_items(ctx.actor, ctx.incoming.peer, ctx.now))


COMMANDS: tuple[Command, ...] = (
    Command(CommandId.START, start, slash=("/start", "/начать"), words=("начать", "старт"), roles=EVERYONE,
            chat=chat_help, aside=True,
            about="приветствие; для зарегистрированных — список команд"),
    Command(CommandId.REPORT, report, slash=("/report", "/отчёт", "/отчет"), label=texts.MENU_REPORT, menu_row=0,
            roles=frozenset({ADMIN}), refusal=texts.REPORT_NOT_ADMIN,
            help=(HelpLine(texts.HELP_REPORT, frozenset({ADMIN})),),
            about="сдать отчёт за текущий период: вопросы по одному, «Назад», «Отмена», проверка, «Отправить»; повторно — исправить"),
    Command(CommandId.STATUS, status, aside=True, slash=("/status", "/сводка"), label=texts.MENU_STATUS, menu_row=0, chat=chat_status,
            help=(HelpLine(texts.HELP_STATUS, COORDINATORS),
                  HelpLine(texts.HELP_STATUS_ADMIN, frozenset({ADMIN}), unless=COORDINATORS)),
            about="сводка по территории (или по своей организации); `/status <муниципалитет или организация>` — подробнее"),
    Command(CommandId.INVITE, invite, slash=("/invite", "/код"), roles=COORDINATORS,
            help=(HelpLine(texts.HELP_INVITE_ANY, frozenset({OWNER})),
                  HelpLine(texts.HELP_INVITE_ORG, frozenset({MUNICIPAL})),
                  HelpLine(texts.HELP_INVITE_MUNI, frozenset({REGIONAL}))),
            about="код приглашения: `/invite <id или название организации, или муниципалитет>`"),
    Command(CommandId.INVITES, invites, slash=("/invites", "/коды"), label=texts.MENU_INVITES, menu_row=0,
            roles=frozenset({MUNICIPAL, REGIONAL}),
            help=(HelpLine(texts.HELP_INVITES_ORGS, frozenset({MUNICIPAL})),
                  HelpLine(texts.HELP_INVITES_MUNIS, frozenset({REGIONAL}))),
            about="коды приглашений для всех организаций (муниципалитетов) своей территории файлом XLSX"),
    Command(CommandId.BIND, bind_in_private, slash=("/bind", "/привязать"), chat=chat_bind,
            help=(HelpLine(texts.HELP_BIND, COORDINATORS),),
            about="в беседе: сделать её беседой координаторов своей территории (туда приходят сводки)"),
    Command(CommandId.CHART, chart, aside=True, slash=("/chart", "/график"), roles=COORDINATORS, chat=chart,
            help=(HelpLine(texts.HELP_CHART, COORDINATORS),),
            about="график целей по периодам"),
    Command(CommandId.EXPORT, export, aside=True, slash=("/export", "/выгрузка"), roles=COORDINATORS, chat=export,
            help=(HelpLine(texts.HELP_EXPORT, COORDINATORS),),
            about="`/export [дд.мм.гггг]` — таблица Excel по организациям за период"),
    Command(CommandId.STATUS_VIEW, status_view, roles=COORDINATORS, chat=status_view, under_message=True),
    Command(CommandId.STATUS_ORG, status_ask_organization, roles=COORDINATORS, under_message=True),
    Command(CommandId.HISTORY, history, slash=("/history", "/история"), roles=COORDINATORS,
            help=(HelpLine(texts.HELP_HISTORY, COORDINATORS),),
            about="`/history <организация>` — кто и когда менял отчёты организации"),
    Command(CommandId.ITEMS, items, aside=True, chat=chat_items, slash=("/items", "/пункты"), label=texts.MENU_ITEMS, menu_row=1,
            help=(HelpLine(texts.HELP_ITEMS, frozenset({ADMIN, MUNICIPAL, REGIONAL})),),
            about="открытые пункты дорожной карты, кнопка «Выполнено» (со ссылкой, где карта требует)"),
    Command(CommandId.ITEM, item_done, callback=True),
    Command(CommandId.ITEMS_PAGE, items_page, callback=True),
    Command(CommandId.TEMPLATE, template, slash=("/template", "/шаблон"), roles=COORDINATORS,
            help=(HelpLine(texts.HELP_TEMPLATE, COORDINATORS),),
            about="шаблон Excel с организациями территории для загрузки цифр; заполненный файл присылается боту, "
                  "он показывает, что изменится, и записывает по кнопке «Применить»"),
    Command(CommandId.APPLY_IMPORT, apply_import, roles=COORDINATORS, under_message=True),
    Command(CommandId.RETURN, return_report, roles=COORDINATORS, under_message=True),
    Command(CommandId.BEHALF, report_on_behalf, roles=COORDINATORS, under_message=True),
    Command(CommandId.FORM, form_button, under_message=True),
    Command(CommandId.WHOAMI, whoami, slash=("/whoami", "/ктоя"), words=("кто я",), label=texts.MENU_WHOAMI, menu_row=1,
            aside=True, help=(HelpLine(texts.HELP_WHOAMI),),
            about="кто вы и ваши роли"),
    Command(CommandId.MENU, show_menu, slash=("/menu", "/меню"), words=("меню",), aside=True,
            help=(HelpLine(texts.HELP_MENU),), about="показать кнопки меню снова"),
    Command(CommandId.CANCEL, cancel, slash=("/cancel", "/отмена"), words=("отмена",), roles=EVERYONE,
            help=(HelpLine(texts.HELP_CANCEL),),
            about="отменить текущее действие (и кнопка «Отмена» на любом шаге)"),
    Command(CommandId.HELP, show_help, slash=("/help", "/помощь"), words=("помощь", "справка"), label=texts.MENU_HELP,
            menu_row=1, roles=EVERYONE, chat=chat_help, aside=True, help=(HelpLine(texts.HELP_HELP),),
            about="команды, доступные вам"),
)

# Each open dialog, declared once: what it does with the person's next message, the buttons that answer it, and
# whether it is a form (an aside runs and the question comes again; files are an answer, not an import). The
# router reads these; adding a dialog is a Dialog value, one State here and its handler.
STATES = {s.dialog: s for s in (
    State(Dialog.FORM, form_answer, form=True),
    State(Dialog.ITEM_EVIDENCE, item_evidence),
    State(Dialog.RETURN_COMMENT, return_comment),
    State(Dialog.IMPORT_CONFIRM, import_waiting, buttons=(CommandId.APPLY_IMPORT,)),
    State(Dialog.STATUS_QUERY, status_query),
    State(Dialog.REPORT_PICK, report_pick, buttons=(CommandId.REPORT,)),
)}
