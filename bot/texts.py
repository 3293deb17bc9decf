"""Every user-facing string, in one place (Russian)."""

from __future__ import annotations

ROLE_TITLES = {
    "owner": "владелец бота",
    "region": "региональный координатор",
    "municipality": "муниципальный координатор",
    "organization": "администратор организации",
}

GREETING = (
    "Здравствуйте! Это бот дорожной карты внедрения Сферума / VK Мессенджера.\n"
    "Чтобы начать, пришлите код приглашения — его выдаёт ваш координатор "
    "(например: ABCDE-23456)."
)
ASK_CODE = "Пришлите код приглашения от вашего координатора (например: ABCDE-23456)."
CODE_WRONG = "Код не подошёл. Проверьте его и пришлите ещё раз — или попросите у координатора новый."
CODE_EXPIRED = "Срок действия этого кода истёк. Попросите у координатора новый код."
CODE_USED = "Этот код уже использован. Каждый код действует один раз — попросите у координатора новый."
CODE_SCOPE_GONE = "Организация или территория из этого кода больше не числится в справочнике. Обратитесь к координатору."
TOO_MANY_ATTEMPTS = "Слишком много неверных кодов. Попробуйте снова через {minutes} мин."
ALREADY_HAS_ROLE = "Эта роль у вас уже есть: {role}."
REGISTERED = "Готово, {name}! Вы — {role}.\n{scope}\n\nЧто я умею — /help."

HELP_HEADER = "Что можно сделать:"
HELP_COMMON = [
    "/whoami — кто вы и ваши роли",
    "/cancel — отменить текущее действие",
    "/help — эта подсказка",
]
HELP_CODE = "Получили ещё один код приглашения? Просто пришлите его сюда."
HELP_UNREGISTERED = ASK_CODE
HELP_INVITE_ORGS = [
    "/invite <id или название организации> — код приглашения для администратора организации",
    "/invites — коды для всех организаций вашего муниципалитета одним файлом (XLSX)",
]
HELP_INVITE_MUNIS = [
    "/invite <муниципалитет> — код приглашения для муниципального координатора",
    "/invites — коды для всех муниципалитетов региона одним файлом (XLSX)",
]
HELP_OWNER = [
    "/invite <регион | муниципалитет | id организации> — код приглашения для любой роли",
]
HELP_BIND = "/bind — в беседе координаторов: привязать беседу к вашей территории (добавьте туда сообщество)"

WHOAMI = "{name}\nVK id: {vk_id}\nРоли:\n{roles}"
WHOAMI_NO_ROLES = "У вас пока нет ролей. " + ASK_CODE

CANCELLED = "Отменено."
NOTHING_TO_CANCEL = "Отменять нечего."
UNKNOWN = "Не понял сообщение. Список команд — /help."
NOT_ALLOWED = "Эта команда вам недоступна. Список ваших команд — /help."
ERROR = "Что-то пошло не так, ваше сообщение не обработано. Попробуйте ещё раз чуть позже."

INVITE_USAGE = "Укажите, для кого код. {what}"
INVITE_WHAT_ORG = "Например: /invite 6624000001 (id организации из справочника) или /invite МАОУ СОШ № 1"
INVITE_WHAT_MUNI = "Например: /invite Нижнетуринский ГО"
INVITE_NOT_FOUND = "Не нашёл «{query}» среди того, куда вы можете приглашать. {what}"
INVITE_AMBIGUOUS = "«{query}» подходит нескольким: {names}. Уточните (для организации — укажите её id)."
INVITE_CREATED = (
    "Код приглашения — {role}, {scope}:\n\n{code}\n\n"
    "Действует до {expires}, один раз. Передайте его лично: код даёт доступ к данным."
)
INVITES_FILE = "Коды приглашений: {count} шт., действуют до {expires}. Каждый код — один раз."
INVITES_NONE = "В вашей территории нет организаций, для которых можно выдать коды."

BIND_ONLY_IN_CHAT = "Команда /bind работает в беседе координаторов: добавьте сообщество в беседу и отправьте /bind там."
BIND_REFUSED = "Привязать беседу может только координатор. Эта беседа не привязана."
BIND_CHOOSE = "У вас несколько территорий. Уточните: {options}"
BIND_DONE = "Беседа привязана: сюда будут приходить сводки — {scope}."
CHAT_HELP = "Я бот дорожной карты Сферума. Координатор может привязать эту беседу командой /bind."

MENU_HELP = "Помощь"
MENU_WHOAMI = "Кто я"
MENU_INVITES = "Коды приглашений"

SCOPE_REGION = "регион: {name}"
SCOPE_MUNICIPALITY = "муниципалитет: {name}"
SCOPE_ORGANIZATION = "организация: {name}"
SCOPE_OWNER = "все территории"

# --- forms -------------------------------------------------------------------------------------
MENU_REPORT = "Сдать отчёт"
BTN_YES = "Да"
BTN_NO = "Нет"
BTN_BACK = "Назад"
BTN_CANCEL = "Отмена"
BTN_SEND = "Отправить"
BTN_FIX = "Исправить"
BTN_CONFIRM = "Подтвердить"
BTN_CARRY = "Как в прошлый раз: {value}"

FORM_INTRO = "«{title}»\n{organization}, период до {period}."
FORM_QUESTION = "Вопрос {n} из {total}. {question}"
FORM_HINT_COUNT = "Ответьте числом."
FORM_HINT_YESNO = "Ответьте «Да» или «Нет»."
FORM_NOT_NUMBER = "Нужно целое число, например 25."
FORM_NOT_WHOLE = "Нужно целое число без дробной части (тысячи можно отделять пробелом: 1 234)."
FORM_NEGATIVE = "Число не может быть отрицательным."
FORM_TOO_BIG_NUMBER = "Слишком большое число. Проверьте, пожалуйста."
FORM_ABOVE_MAX = "Больше {max} быть не может — проверьте число."
FORM_ABOVE_PARTNER = "Не может быть больше, чем ответ на вопрос «{question}» ({value})."
FORM_BELOW_PARTNER = "Не может быть меньше, чем ответ на вопрос «{question}» ({value}). Сначала исправьте тот ответ."
FORM_YESNO = "Ответьте «Да» или «Нет»."
FORM_IMPLAUSIBLE = ("{value} — заметно отличается от прошлого периода ({previous}) по вопросу «{question}». "
                    "Всё верно?")
FORM_REDO = "Хорошо, введите значение ещё раз."
FORM_SUMMARY = "Проверьте ответы — «{title}», {organization}, период до {period}:"
FORM_SUMMARY_HINT = "Нажмите «Отправить», если всё верно, или «Исправить»."
FORM_PICK = "Какой ответ исправить? Нажмите его номер."
FORM_PICK_WRONG = "Нужен номер ответа от 1 до {total}."
FORM_CANCELLED = "Отменено, ответы не отправлены."
FORM_CANCELLED_KEPT = "Отменено. Ранее отправленный отчёт остался без изменений."
FORM_SENT = "Отчёт принят: «{title}», {organization}, период до {period}."
FORM_SENT_CORRECTED = "Исправление принято: «{title}», {organization}, период до {period}."
FORM_SENT_LATE = "Сводка за этот период уже разослана, поэтому отчёт отмечен как поздний."
FORM_SENT_OVER = "Пока вы заполняли, отчёт за эту организацию отправил {name}; ваши ответы сохранены как исправление."
FORM_TARGET = "• {title}: {value} — {percent} (цель {goal}%)"
FORM_TARGETS = "Ваша организация по целям дорожной карты:"
FORM_CONTINUE = "Вы заполняете отчёт. Продолжим:"
FORM_GONE = "Эта форма больше не действует (дорожная карта изменилась). Начните заново: /report."
FORM_BROKEN = "Ответы не прошли проверку и не отправлены. Проверьте их:"
REPORT_NONE = "Сейчас нет отчётов, которые нужно сдать."
REPORT_NOT_ADMIN = "Отчёты сдают администраторы организаций. Список ваших команд — /help."
REPORT_PICK = "Какой отчёт заполнить?"
REPORT_ALREADY = "Отчёт «{title}» за период до {period} уже отправлен ({when}, {name}). Исправить его?"
REPORT_EDIT = "Исправить"
REPORT_OPTION = "{title} — {organization}"
HISTORY_NONE = "Изменений отчётов пока нет."
HISTORY_HEAD = "Изменения отчётов — {organization}:"
HISTORY_LINE = "{when} · {name} · {form}, период до {period}: {question} {old} → {new}{late}"
HISTORY_LATE = " (поздно)"
HISTORY_USAGE = "Укажите организацию: /history <id или название>"
HELP_REPORT = ["/report — сдать отчёт (или кнопка «Сдать отчёт»); повторно — исправить отправленный"]
HELP_HISTORY = "/history <id или название организации> — кто и когда менял её отчёты"

# --- reminders, summaries, items ----------------------------------------------------------------
REMIND_FORM = ("Напоминание: сегодня срок отчёта «{title}» за период до {period} — {organization}.\n"
               "Это займёт минуту: нажмите «Сдать отчёт».")
REMIND_FORM_BUTTON = "Сдать отчёт"
SUMMARY_HEAD = "Сводка «{title}» за период до {period} — {scope}"
SUMMARY_COVERAGE = "Сдали: {reported} из {expected} организаций ({percent})."
SUMMARY_MISSING = "Не сдали ({n}):"
SUMMARY_TARGET = "• {title}: {percent} (цель {goal}%){trend}"
SUMMARY_NO_DATA = "• {title}: данных нет"
REMIND_ITEM = ("Напоминание по дорожной карте: пункт {id} «{title}» — срок {due}{when}.\n"
               "{result}Если сделано, нажмите «Выполнено».")
REMIND_ITEM_WHEN = {0: " (сегодня)", 1: " (завтра)"}
REMIND_ITEM_DAYS = " (через {n} дн.)"
ITEM_RESULT = "Ожидаемый результат: {result}\n"
ITEM_DONE_BUTTON = "Выполнено"
ITEM_OVERDUE = "Просрочен пункт {id} «{title}» (срок {due}). Не подтвердили: {names}"
ITEM_CONFIRMED = "Отмечено: пункт {id} «{title}» выполнен — {unit}."
ITEM_ALREADY = "Пункт {id} уже отмечен как выполненный."
ITEM_NOT_YOURS = "Этот пункт отмечает другой исполнитель."
ITEM_ASK_LINK = "Пункт {id} «{title}»: пришлите ссылку на подтверждение (например, на публикацию или сообщество)."
ITEM_BAD_LINK = "Это не похоже на ссылку. Пришлите адрес вида https://… или «Отмена»."
ITEMS_NONE = "Открытых пунктов дорожной карты у вас нет."
ITEMS_HEAD = "Открытые пункты дорожной карты:"
ITEMS_LINE = "{n}. Пункт {id} «{title}» — {unit}, срок {due}{overdue}"
ITEMS_OVERDUE = " (просрочен)"
ITEMS_MORE = "…и ещё {n}."
SNACK_DONE = "Отмечено"
MENU_ITEMS = "Пункты карты"
HELP_ITEMS = "/items — открытые пункты дорожной карты: отметить выполненные"

# --- status ---------------------------------------------------------------------------------------
MENU_STATUS = "Сводка"
HELP_STATUS = "/status — сводка по вашей территории; /status <муниципалитет или организация> — подробнее"
HELP_STATUS_ADMIN = "/status — показатели вашей организации"
STATUS_COUNTRY = "все территории"
STATUS_NOTHING = "Сейчас нет действующих форм дорожной карты для этой территории."
STATUS_NOT_FOUND = "Не нашёл «{query}» в вашей территории."
STATUS_LOWEST = "Ниже всех по цели «{title}»:"
STATUS_RANKING = "Муниципалитеты по цели «{title}» (от низшего):"
STATUS_ITEMS = "Пункты дорожной карты:"
STATUS_ITEM = "• п. {id} «{title}», срок {due} — {state}; не отметили: {names}"
STATUS_OVERDUE = "просрочен"
STATUS_OPEN = "открыт"
STATUS_ORG_HEAD = "{name}"
STATUS_ORG_FORM = "«{title}», период до {period}: {state}"
STATUS_ORG_SENT = "отчёт сдан"
STATUS_ORG_NOT_SENT = "отчёт ещё не сдан (показаны цифры прошлого периода)"
HELP_CHART = "/chart — график целей по периодам"
HELP_EXPORT = "/export [дд.мм.гггг] — таблица Excel по организациям за период (по умолчанию текущий)"
CHART_CAPTION = "График целей по периодам — {scope}."
EXPORT_CAPTION = "Таблица по организациям — {scope}."
EXPORT_NONE = "Сейчас нет действующих форм дорожной карты для выгрузки."
EXPORT_BAD_PERIOD = "Не понял период. Укажите дату срока, например: /export 20.10.2023"
