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
HELP_WHOAMI = "/whoami — кто вы и ваши роли"
HELP_MENU = "/menu — показать кнопки меню, если они пропали"
MENU_SHOWN = "Кнопки меню — внизу экрана. Все команды — /help."
HELP_CANCEL = "/cancel — отменить текущее действие"
HELP_HELP = "/help — эта подсказка"
HELP_CODE = "Получили ещё один код приглашения? Просто пришлите его сюда."
HELP_INVITE_ORG = "/invite <id или название организации> — код приглашения для администратора организации"
HELP_INVITES_ORGS = "/invites — коды для всех организаций вашего муниципалитета одним файлом (XLSX)"
HELP_INVITE_MUNI = "/invite <муниципалитет> — код приглашения для муниципального координатора"
HELP_INVITES_MUNIS = "/invites — коды для всех муниципалитетов региона одним файлом (XLSX)"
HELP_INVITE_ANY = "/invite <регион | муниципалитет | id организации> — код приглашения для любой роли"
HELP_BIND = ("/bind — в беседе координаторов: привязать беседу к вашей территории (ВКонтакте: добавьте туда "
             "сообщество и упоминайте его — @ и имя из подсказки, затем /bind; MAX: добавьте бота в чат "
             "администратором и напишите /bind)")

HELP_BIND_MAX = "/bind — в чате координаторов: привязать чат к вашей территории (добавьте бота в чат администратором)"

WHOAMI = "{name}\n{account}\nРоли:\n{roles}"
ACCOUNT_VK = "VK id: {id}"
ACCOUNT_MAX = "MAX id: {id}"

CANCELLED = "Отменено."
NOTHING_TO_CANCEL = "Отменять нечего."
PICK_CLOSED = "Хорошо, отчёт не открываю. Сдать его можно позже — кнопкой «Сдать отчёт»."
UNKNOWN = "Не понял сообщение. Список команд — /help."
NOT_ALLOWED = "Эта команда вам недоступна. Список ваших команд — /help."
ERROR = "Что-то пошло не так, ваше сообщение не обработано. Попробуйте ещё раз чуть позже."
STORAGE_DOWN = ("У бота временная неполадка: не могу сохранить ваше сообщение прямо сейчас. Ничего не потеряно — "
                "я отвечу, как только неполадку устранят. Повторять не нужно.")

INVITE_USAGE = "Укажите, для кого код. {what}"
INVITE_WHAT_ORG = "Например: /invite 6624000001 (id организации из справочника) или /invite МАОУ СОШ № 1"
INVITE_WHAT_MUNI = "Например: /invite Нижнетуринский ГО"
INVITE_NOT_FOUND = "Не нашёл «{query}» среди того, куда вы можете приглашать. {what}"
INVITE_NOT_YOURS = ("«{name}» есть в справочнике, но код туда выдаёте не вы: приглашают координатор выше или оператор. "
                    "Вы приглашаете в свою территорию. {what}")
INVITE_AMBIGUOUS = "«{query}» подходит нескольким: {names}. Уточните (для организации — укажите её id)."
INVITE_CREATED = (
    "Код приглашения — {role}, {scope}:\n\n{code}\n\n"
    "Действует до {expires}, один раз. Передайте его лично: код даёт доступ к данным."
)
INVITES_FILE = "Коды приглашений: {count} шт., действуют до {expires}. Каждый код — один раз."
INVITES_NONE = "В вашей территории нет организаций, для которых можно выдать коды."

BIND_ONLY_IN_CHAT = ("Команда /bind работает в беседе координаторов. ВКонтакте: добавьте сообщество в беседу и "
                     "напишите там @, выберите сообщество из подсказки и допишите /bind (без упоминания ВКонтакте "
                     "не передаёт боту сообщения беседы). MAX: добавьте бота в чат администратором — иначе MAX не "
                     "передаёт ему сообщения чата — и напишите /bind.")
BIND_ONLY_IN_CHAT_MAX = ("Команда /bind работает в чате координаторов: добавьте бота в чат администратором — иначе "
                         "MAX не передаёт ему сообщения чата — и напишите там /bind.")
BIND_REFUSED = "Привязать беседу может только координатор её территории; привязка беседы не изменилась."
BIND_TAKEN = ("Эта беседа уже привязана — {scope}. Перепривязать её может координатор этой территории "
              "или владелец бота.")
BIND_CHOOSE = "У вас несколько территорий. Уточните: {options}"
VK_ADDRESS_NOTE = " (ВКонтакте — с упоминанием сообщества или ответом на это сообщение)"
BIND_DONE = ("Беседа привязана: сюда будут приходить сводки — {scope}. Сводку по запросу — команда /status, "
             "обращённая ко мне" + VK_ADDRESS_NOTE + ".")
CHAT_WELCOME = ("Здравствуйте! Я бот дорожной карты Сферума. Координатор привязывает эту беседу к своей территории "
                "командой «{mention} /bind» — сюда будут приходить сводки. Здесь я отвечаю только на команды, "
                "обращённые ко мне ({mention} и команда); остальная переписка меня не касается.")
CHAT_WELCOME_MAX = ("Чтобы я видел команды, сделайте меня администратором этого чата: иначе MAX не передаёт мне "
                    "его сообщения.")
CHAT_WELCOME_VK = ("ВКонтакте передаёт мне только сообщения с упоминанием сообщества (@ и имя из подсказки) или "
                   "ответы на мои сообщения.")
CHAT_LEFT = ("Бот удалён из беседы координаторов ({scope}): сводки туда больше не приходят. Привязка сохранена — "
             "добавьте бота обратно{how}, и сводки снова пойдут в эту беседу.")
CHAT_LEFT_MAX = " администратором чата"
CHAT_HELP = "Я бот дорожной карты Сферума. Координатор может привязать эту беседу командой /bind. {how}"
CHAT_HELP_VK = ("Команды здесь пишите с упоминанием сообщества (@ и имя из подсказки) или ответом на моё сообщение: "
                "иначе ВКонтакте мне их не передаёт.")
CHAT_HELP_MAX = "Команды я вижу, пока я администратор этого чата."

CHAT_STATUS_CHOOSE = "По «{query}» нашлось несколько организаций: {names}. Уточните название."
CHAT_HELP_BOUND = ("Это беседа координаторов — {scope}: сюда приходят сводки по расписанию. Сводка сейчас — "
                   "команда /status, обращённая ко мне{how}; /items — пункты дорожной карты.")
CHAT_HELP_BOUND_VK = " (с упоминанием сообщества или ответом на моё сообщение)"
CHAT_NOT_BOUND = ("Эта беседа ещё не привязана к территории, поэтому сводки у неё нет. Координатор привязывает её "
                  "командой /bind, обращённой ко мне.")
CHAT_STATUS_NOT_YOURS = ("Сводку в этой беседе показываю координаторам её территории. Свою сводку можно получить в "
                         "личных сообщениях: /status.")

STATUS_CHOOSE = "«{query}» подходит нескольким — выберите:"
STATUS_MORE_CHOICES = " (показаны первые, ещё {n} — уточните запрос)"

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
BTN_CARRY = "Как раньше: {value}"  # ≤ 20 characters: MAX cuts longer labels
BTN_SKIP = "Пропустить"

FORM_INTRO = "«{title}»\n{organization}, период до {period}."
FORM_QUESTION = "Вопрос {n} из {total}. {question}"
FORM_HINT_COUNT = "Ответьте числом."
FORM_HINT_YESNO = "Ответьте «Да» или «Нет»."
FORM_HINT_NUMBER = "Ответьте числом; дробную часть — через запятую: 12,5."
FORM_HINT_PERCENT = "Ответьте процентом от 0 до 100, например 87,5."
FORM_HINT_CHOICE = "Выберите вариант кнопкой."
FORM_HINT_CHOICE_LISTED = "Выберите вариант кнопкой или пришлите его номер."
FORM_HINT_TEXT = "Ответьте текстом (не больше {limit} знаков)."
FORM_HINT_LINK = "Пришлите ссылку, например https://sferum.ru/…"
FORM_HINT_OPTIONAL = "Если ответа нет, нажмите «Пропустить»."
FORM_NOT_DECIMAL = "Нужно число, например 12,5."
FORM_PERCENT_RANGE = "Процент — число от 0 до 100."
FORM_CHOICE = "Выберите один из вариантов: {options}."
FORM_TEXT_EMPTY = "Ответ пустой — напишите его текстом."
FORM_TEXT_TOO_LONG = "Слишком длинный ответ: {length} знаков, можно не больше {limit}. Сократите, пожалуйста."
FORM_NOT_LINK = "Нужна ссылка на страницу, например https://sferum.ru/… (с адресом сайта, без пробелов)."
FORM_REQUIRED = "Этот вопрос обязательный — пропустить его нельзя."
ANSWER_SKIPPED = "пропущено"
FORM_NOT_NUMBER = "Нужно целое число, например 25."
FORM_NOT_WHOLE = "Нужно целое число без дробной части (тысячи можно отделять пробелом: 1 234)."
FORM_AMBIGUOUS = ("«{typed}» можно понять и как {small}, и как {big}. Напишите число без точек и запятых, "
                  "например {big}.")
FORM_NEGATIVE = "Число не может быть отрицательным."
FORM_TOO_BIG_NUMBER = "Слишком большое число. Проверьте, пожалуйста."
FORM_ABOVE_MAX = "Больше {max} быть не может — проверьте число."
FORM_ABOVE_PARTNER = "Не может быть больше, чем ответ на вопрос «{question}» ({value})."
FORM_BELOW_PARTNER = "Не может быть меньше, чем ответ на вопрос «{question}» ({value}). Сначала исправьте тот ответ."
FORM_YESNO = "Ответьте «Да» или «Нет»."
FORM_IMPLAUSIBLE = ("{value} — заметно отличается от прошлого периода ({previous}) по вопросу «{question}». "
                    "Всё верно?")
FORM_ABOVE_BASELINE = ("⚠ Ответ {n} ({value}) больше, чем всего по статистике региона у вашей организации "
                       "({baseline}): доля выйдет выше 100\u00a0%. Проверьте его или отправьте как есть.")
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
FORM_TARGET = "• {title}: {value} — {percent} ({goal})"
FORM_TARGET_RATIO = "• {title}: {value} ({goal})"  # v3 ratio: «12,5 ученика на кружок (цель 12)»
GOAL_AT_LEAST = "цель {goal}\u00a0%"  # written as every percent is: «71,4 %»
GOAL_AT_MOST = "цель не больше {goal}\u00a0%"
GOAL_EXACTLY = "цель ровно {goal}\u00a0%"  # v3 direction = "exactly"
GOAL_NONE = "без цели"
FORM_TARGETS = "Ваша организация по целям дорожной карты:"
FORM_CONTINUE = "Вы заполняете отчёт. Продолжим:"
FORM_CLOSED = "Эта форма уже закрыта. Чтобы сдать отчёт, нажмите «Сдать отчёт» или отправьте /report."
FORM_STALE = ("Незаконченный отчёт за период до {period} закрыт: срок того периода прошёл. "
              "Сдать отчёт за текущий период — /report.")
FORM_GONE = "Эта форма больше не действует (дорожная карта изменилась). Начните заново: /report."
FORM_BROKEN = "Ответы не прошли проверку и не отправлены. Проверьте их:"
REPORT_NONE = "Сейчас нет отчётов, которые нужно сдать."
REPORT_NOT_ADMIN = "Отчёты сдают администраторы организаций. Список ваших команд — /help."
REPORT_PICK = "Какой отчёт заполнить?"
REPORT_PICK_NUMBER = "Напишите номер отчёта из списка — от 1 до {n} — или нажмите кнопку с его названием."
REPORT_ALREADY = ("Отчёт «{title}» ({organization}) за период до {period} уже отправлен ({when}, {name}). "
                  "Исправить его?")
BTN_KEEP = "Оставить как есть"
REPORT_KEPT = "Хорошо, отчёт остаётся как отправлен."
REPORT_EDIT = "Исправить"
REPORT_OPTION = "{n}. {organization} — {title}"
HISTORY_NONE = "Изменений отчётов пока нет."
HISTORY_HEAD = "Изменения отчётов — {organization} (время местное, {zone}):"
SOURCE_BEHALF = " (за организацию)"
OPERATOR = "оператор"
MAX_PERSON = "пользователь MAX"
OPERATOR_CLI = "оператор (командная строка)"
SOURCE_IMPORT = " (из файла {file})"
HISTORY_LINE = "{when} · {name} · {form}, период до {period}: {question} {old} → {new}{late}"
HISTORY_LATE = " (поздно)"
HISTORY_RETURN = "{when} · {name} · {form}, период до {period}: возвращён на доработку — «{comment}»"
HISTORY_CORRECTED = "{when} · {name} · {form}, период до {period}: исправлен после возврата"
RETURN_CORRECTED_NOTICE = ("{organization} прислала исправленный отчёт «{title}» за период до {period} — тот, что вы "
                           "возвращали на доработку. Он снова учитывается в сводке; подробности — /history.")
HISTORY_USAGE = "Укажите организацию: /history <id или название>"
HELP_REPORT = "/report — сдать отчёт (или кнопка «Сдать отчёт»); повторно — исправить отправленный"
HELP_HISTORY = "/history <id или название организации> — кто и когда менял её отчёты"

# --- reminders, summaries, items ----------------------------------------------------------------
REMIND_FORM = ("Напоминание: отчёт «{title}» за период до {period} нужно сдать {when} — {organization}.\n"
               "Это займёт минуту: нажмите «Сдать отчёт».")
REMIND_FORM_BUTTON = "Сдать отчёт"
# v3 `filled_by = "import"`: the coordinators load the figures from a file (a platform's export)
REMIND_IMPORT = ("Напоминание: цифры формы «{title}» за период до {period} загружаются файлом — срок {when}. "
                 "Не хватает {n} ({municipality}).\nПришлите заполненный шаблон боту или загрузите его командой "
                 "import-figures.")
REMIND_LIST_IMPORT = "«{title}» за период до {period} — загрузить файлом {when}, не хватает {n}"
BTN_IMPORT_TEMPLATE = "Шаблон"
ORGANIZATIONS = ("организации", "организаций", "организаций")  # «не хватает 1 организации», «… 5 организаций»
SUMMARY_HEAD = "Сводка «{title}» за период до {period} — {scope}"
SUMMARY_COVERAGE = "Сдали: {reported} из {expected} организаций ({percent})."
SUMMARY_COVERAGE_IMPORT = "Загружено: {reported} из {expected} организаций ({percent})."  # v3 import forms
SUMMARY_TARGET = "• {title}: {percent} ({goal}){trend}"
SUMMARY_NO_DATA = "• {title}: данных нет"
SUMMARY_FIRST_DUE = "• {title}: первые данные — к сроку {due}"  # asked before the form's first due date
SUMMARY_TARGET_STALE = "• {title}: {percent} ({goal}) — на {at}; за период до {period} данных нет"
SUMMARY_NO_NORM = "норма не задана у {organizations}"  # v3 `each`: left out of both sides of the share
SUMMARY_NO_NORM_ANYWHERE = "• {title}: нет данных — норма не задана у {organizations}"  # v3 `each`, nobody judged
NO_NORM_ORGANIZATIONS = ("организации", "организаций", "организаций")  # «у 1 организации», «у 5 организаций»
# v3 `each` where one organization is shown: its own norm and whether it meets it
OWN_NORM_MET = "выполнено (норма {norm})"
OWN_NORM_NOT_MET = "не выполнено (норма {norm})"
OWN_NORM_NONE = "норма не задана"
OWN_NORM_MET_SHORT = "выполнено"
OWN_NORM_NOT_MET_SHORT = "не выполнено"
OWN_NORM_LINE = "• {title}: {state}"
SUMMARY_DELTA_AGAINST = " к {date}"  # a delta against a period other than the one just before: «↑ +3,1 п.п. к 20.03»
# a share of everyone while some have not reported: a lower bound, no delta (it would show a fall that is not there)
SUMMARY_WITHOUT = "пока без {organizations}"
WITHOUT_ORGANIZATIONS = ("организации", "организаций", "организаций")  # «без 1 организации», «без 5 организаций»
VERDICTS = {  # a target against its deadline (bot/domain/verdicts.py)
    "met": "достигнута на {deadline} ({value})",
    "not_met": "не достигнута на {deadline} ({value})",
    "on_track": "в графике к {deadline}",
    "behind": "отстаёт: в таком темпе к {deadline} не успеть",
    "no_pace": "темп к {deadline} пока не ясен",
    "no_data": "нет данных к {deadline}",
}
SUMMARY_FINAL = " — последний период формы, итоги"
SUMMARY_AVERAGE = "• {question}: в среднем {value} (ответили {n})"
SUMMARY_CHOICES = "• {question}: {counts}"
STATUS_ORG_ANSWER = "• {question}: {answer}"
REMIND_ITEM = ("Напоминание по дорожной карте: пункт {id} «{title}» — срок {when}.\n"
               "{result}Если сделано, нажмите «Выполнено».")
REMIND_ITEM_REPORT = ("Напоминание по дорожной карте: пункт {id} «{title}» — срок отчёта о выполнении {when}.\n"
                      "{result}Если сделано, нажмите «Выполнено».")
ITEM_RESULT = "Ожидаемый результат: {result}\n"
ITEM_DONE_BUTTON = "Выполнено"
REMIND_LIST_HEAD = "Напоминание на {day}:"
CALENDAR_NAMED = " ({calendar})"  # v3: a due date from a calendar, «до 26.02.2027 (окончание триместров)»
REMIND_LIST_FORMS = "Отчёты:"
REMIND_LIST_FORM = "«{title}» за период до {period} — сдать {when}"
REMIND_LIST_ITEMS = "Пункты дорожной карты:"
REMIND_LIST_ITEM = "п. {id} «{title}» — срок {when}"
REMIND_LIST_ITEM_REPORT = "п. {id} «{title}» — срок отчёта {when}"
REMIND_LIST_HOW = "Кнопки ниже — по одной на каждое дело."  # (reports, files to load, items: whatever is listed)
REMIND_LIST_HOW_FORMS = "Каждый отчёт — по своей кнопке ниже, это займёт минуту."
BTN_ALL_ITEMS = "Все пункты"
ITEM_OVERDUE_HEAD = "Просрочены пункты дорожной карты:"
ITEM_OVERDUE = "Просрочен пункт {id} «{title}» (срок {due}). Не подтвердили: {names}"
ITEM_OVERDUE_LINE = "п. {id} «{title}» (срок {due}). Не подтвердили: {names}"
ITEM_CONFIRMED = "Отмечено: пункт {id} «{title}» выполнен — {unit}."
ITEM_ALREADY = "Пункт {id} уже отмечен как выполненный."
ITEM_ASK_SURE = "Отметить пункт {id} «{title}» выполненным — {unit}, срок {due}?"
BTN_ITEM_YES = "Да, выполнено"
BTN_ITEM_NO = "Нет"
BTN_ITEM_UNDO = "Снять отметку"
ITEM_LEFT_OPEN = "Хорошо, пункт {id} не отмечен."
ITEM_UNMARKED = "Отметка снята: пункт {id} «{title}» снова открыт — {unit}, срок {due}."
ITEM_NOT_MARKED = "Пункт {id} и так не отмечен — {unit}."
ITEM_NOT_YOURS = "Этот пункт отмечает другой исполнитель."
ITEM_ASK_LINK = "Пункт {id} «{title}»: пришлите ссылку на подтверждение (например, на публикацию или сообщество)."
ITEM_BAD_LINK = "Это не похоже на ссылку. Пришлите адрес вида https://… или «Отмена»."
ITEMS_NONE = "Открытых пунктов дорожной карты у вас нет."
ITEMS_HEAD = "Открытые пункты дорожной карты:"
ITEMS_HEAD_PAGED = "Открытые пункты дорожной карты ({total}), страница {page} из {pages}:"
ITEMS_HOW = "Выполнили пункт — нажмите кнопку с его номером."
ITEMS_DONE_N = "✓ п. {id}"
ITEMS_PREV = "← Назад"
ITEMS_NEXT = "Дальше →"
ITEMS_LINE = "п. {id} «{title}» — {unit}, срок {due}{overdue}"
ITEMS_OVERDUE = " (просрочен)"
ITEMS_NO_SECTION = "Другие пункты:"
ITEMS_ROADMAP = "Карта «{title}»:"  # /items of someone with items in several roadmaps  # after items listed under the order's sections
ITEM_PEOPLE = "Ответственные: {people}"
ITEM_SINCE = "работа ведётся с {since}"
ITEMS_AWAITING = " (отчёт до {date})"  # v3 `report_by`: done by its date, the report still to come
ITEMS_MORE = "…и ещё {n}."
MENU_ITEMS = "Пункты карты"
HELP_ITEMS = "/items — открытые пункты дорожной карты: отметить выполненные"

# --- status ---------------------------------------------------------------------------------------
MENU_STATUS = "Сводка"
HELP_STATUS = "/status — сводка по вашей территории; /status <муниципалитет или организация> — подробнее"
HELP_STATUS_ADMIN = "/status — показатели вашей организации"
STATUS_COUNTRY = "все территории"
STATUS_NOTHING = "Сейчас нет действующих форм дорожной карты для этой территории."
STATUS_NOT_FOUND = "Не нашёл «{query}» в вашей территории."
STATUS_MAYBE = "Не нашёл «{query}» в вашей территории. Может быть, вы имели в виду:"
STATUS_ITEM = "• п. {id} «{title}», срок {due} — {state}; не отметили ({n}):"
STATUS_ITEM_RECURRING = ("• п. {id} «{title}»: не отмечены {open} из {total} сроков; последний {due} — {state}, "
                         "не отметили ({n}):")
STATUS_OVERDUE = "просрочен"
STATUS_OPEN = "открыт"
STATUS_AWAITING = "отчёт до {date}"
STATUS_ORG_HEAD = "{name}"
STATUS_ORG_FORM = "«{title}», период до {period}: {state}"
STATUS_ORG_SENT = "отчёт сдан"
STATUS_ORG_MORE = "Остальное — по кнопке «Все цели»."
BTN_ALL_TARGETS = "Все цели"
STATUS_ORG_SENT_BY = "Отправлено: {name}, {when}"
STATUS_ORG_NO_FORMS = "Сейчас у организации нет открытых форм: ни одна загруженная дорожная карта не ждёт от неё отчёта."
STATUS_ORG_NOT_SENT = "отчёт ещё не сдан (показаны цифры прошлого периода)"
HELP_CHART = "/chart — график целей по периодам"
HELP_EXPORT = "/export [дд.мм.гггг] — таблица Excel по организациям за период (по умолчанию текущий)"
CHART_CAPTION = "График целей по периодам — {scope}."
CHART_THROUGH = "На графике — периоды по {last} включительно."
CHART_OPEN = ("Текущий период (до {due}) появится после его срока: пока сдали не все, и незакрытый период показал "
              "бы спад, которого нет.")
CHART_ONLY_OPEN = "На графике — текущий период (до {due}), он ещё не закрыт: значения вырастут по мере сдачи."
EXPORT_CAPTION = "Таблица по организациям — {scope}."
EXPORT_NONE = "Сейчас нет действующих форм дорожной карты для выгрузки."
EXPORT_BAD_PERIOD = "Не понял период. Укажите дату срока, например: /export 20.10.2023"
EXPORT_NO_PERIOD = "Нет периода со сроком {date}. Сроки форм: {spans}."
EXPORT_EMPTY = ("За период {periods} ещё никто не сдал отчёт ({scope}): таблица была бы пустой. Кто не сдал — "
                "в /status.")
EXPORT_COVER_TITLE = "Мониторинг внедрения Сферума / VK Мессенджера"
EXPORT_COVER_ROADMAP = "Дорожная карта"
EXPORT_COVER_BASIS = "Основание"
EXPORT_COVER_TERRITORY = "Территория"
EXPORT_COVER_PERIOD = "Период"
EXPORT_COVER_MADE = "Сформировано"
EXPORT_COVER_BY = "Кем"
EXPORT_COVER_NOTES = "Пояснения"
EXPORT_NOTES = ("Итоги по муниципалитетам и территории считаются так же, как в сводке бота: без отчётов, возвращённых "
                "на доработку (они видны в строках с отметкой). Проценты целей — сумма числителей, делённая на сумму "
                "знаменателей. Вердикт цели: после срока — «достигнута» / «не достигнута» по последнему периоду к "
                "сроку; до срока — «в графике», если темп двух последних периодов, сохранённый до срока, "
                "достигает цели, иначе «отстаёт».")
EXPORT_SUBMITTED = "Сдано в последний раз (время местное)"
EXPORT_SUBMITTED_ZONES = "Сдано в последний раз (местное время организации)"
EXPORT_FLAGS = "Отметки"
EXPORT_FILE = "Дорожная карта"  # the export's file name begins so; then the territory and the period
TEMPLATE_FILE = "Шаблон"
INVITES_FILE_NAME = "Коды приглашений"
EXPORT_NOT_SENT = "не сдан"
EXPORT_SUBTOTAL = "Итого: {name}"
EXPORT_TOTAL = "Всего: {name}"
EXPORT_REPORTED = "сдали {n} из {of}"
EXPORT_FLAG_RETURNED = "возвращён на доработку: {comment}"
EXPORT_FLAG_LATE = "сдан после сводки"
EXPORT_FLAG_BEHALF = "внесено координатором"
EXPORT_FLAG_IMPORT = "из файла {file}"
EXPORT_TARGETS_SHEET = "Цели"
EXPORT_ITEMS_SHEET = "Пункты"  # the roadmap's items under the order's sections, stages as their own rows
EXPORT_ITEMS_HEADER = ["№ пункта", "Пункт", "Ответственные", "Срок", "Отметили", "Состояние", "Не отметили"]
EXPORT_ITEM_STATES = {"open": "в работе", "awaiting": "ждёт отчёта", "overdue": "просрочен"}
EXPORT_ITEM_DONE = "выполнен"
EXPORT_ITEM_NO_DATE = "без срока"
# a ratio (v3) is a plain number: the unit is its own column, «%» for a percent
EXPORT_TARGETS_HEADER = ["Цель", "Территория", "Значение", "Целевое значение", "Срок", "Вердикт", "Форма и период",
                         "Единица"]
STATUS_UNREACHABLE = "Не получают сообщения бота (не писали сообществу или запретили сообщения):"

INVITES_SHEET = "Коды приглашений"
INVITES_HEADER = ("Кому", "id", "Название", "Код", "Действует до", "Примечание")
INVITES_LINKS = ("В файле есть и ссылки: по ссылке бот открывается с кодом — достаточно нажать «Начать», вводить код "
                 "не нужно (кто уже писал боту ВКонтакте, кнопки «Начать» не увидит — пусть пришлёт код).")
INVITE_LINK_VK = "Ссылка для ВКонтакте (открывает бота с кодом)"
INVITE_LINK_MAX = "Ссылка для MAX (открывает бота с кодом)"
INVITES_HAS_ADMIN = "уже зарегистрирован(ы): {n}"
INVITES_WAITING = "код уже выдан, действует до {expires}"
INVITES_NO_NEW = ("Новых кодов не понадобилось: везде уже есть администратор или действующий код (см. «Примечание» в "
                  "файле). Выданные коды повторно не показываются — они есть только в том файле, где были выданы. "
                  "Новые коды для всех — /invites все.")
INVITES_SKIPPED = ("Для {n} — нет: там уже есть администратор или действующий код (см. «Примечание»). Новые коды для "
                   "всех — /invites все.")

# Operator: taking an organization out of the directory
REMOVE_NOT_FOUND = "Организации с id {id} в справочнике нет (или она уже удалена)."
REMOVE_WHAT = (
    "{name} ({id}), {municipality}:\n"
    "– администраторов: {admins} — их доступ по этой организации закрывается (другие роли остаются);\n"
    "– отчётов: {reports} — остаются в базе, но организация больше не входит в охват, сводки, выгрузки, "
    "напоминания и списки несдавших, и код приглашения на неё не выдать.\n"
    "Вернуть её можно, снова загрузив справочник, где она есть: отчёты и цифры вернутся в сводки."
)
REMOVE_CONFIRM = "Ничего не изменено. Чтобы удалить, повторите: remove-org {id} --yes"
REMOVE_DONE = "Организация удалена из справочника."

# -- import of figures from a file (coordinators, the operator) -------------------------------------
IMPORT_WRONG_TYPE = "Файл «{name}» не таблица: пришлите .xlsx или .csv (шаблон — /template)."
IMPORT_TOO_MANY_ROWS = "В файле больше {rows} строк — это не таблица организаций."
IMPORT_TOO_MANY_COLUMNS = "В строке {row} больше {columns} заполненных столбцов — столько показателей ни в одной форме нет."
IMPORT_TOO_MANY_CELLS = "В файле больше {cells} заполненных ячеек — это не таблица с цифрами формы."
IMPORT_TOO_LARGE_UNPACKED = ("Файл распаковывается больше чем в {mb} МБ — таблица с цифрами столько не занимает "
                             "(это может быть «zip-бомба»).")
IMPORT_TOO_SLOW = "Файл читается слишком долго. Разбейте его на части поменьше."
IMPORT_CSV_BROKEN = "Строка {row} файла .csv не читается (слишком длинное поле или нулевой байт). Сохраните таблицу заново."
IMPORT_XML_ENTITIES = ("В файле есть XML-сущности или ссылки на внешние файлы — Excel так не сохраняет, и бот такие "
                       "файлы не читает. Сохраните таблицу заново в Excel как .xlsx.")
IMPORT_XML_BROKEN = "Файл .xlsx повреждён: его содержимое не читается. Сохраните таблицу заново в Excel."
IMPORT_CELL_BROKEN = ("В строке {row} ячейка не читается (например, текст в ячейке числового формата). "
                      "Сохраните таблицу заново в Excel или поправьте строку.")
IMPORT_UNREADABLE = "Не получилось прочитать файл как таблицу Excel. Сохраните его как .xlsx или .csv и пришлите снова."
IMPORT_NO_ID = ("В файле нет столбца «Код организации» (или «id») в первых 10 строках. Возьмите шаблон: /template — "
                "или выгрузку бота (/export).")
IMPORT_NO_COLUMNS = ("Ни один столбец файла не назван как показатель формы (ключ, вопрос или короткое название). "
                     "Возьмите шаблон: /template.")
IMPORT_MANY_FORMS = "Столбцы файла подходят к нескольким формам: {forms}. Оставьте столбцы одной формы."
IMPORT_SKIPPED_COLUMNS = ("Не из формы, не читаются ({n}): {columns}. Если среди них показатель формы — исправьте "
                          "название столбца и пришлите файл снова.")
IMPORT_NO_PERIOD = "У формы «{form}» нет периода со сроком {date}."
IMPORT_PERIODS_ARE = " Её сроки — с {first} по {last}; ближайший к этой дате — {nearest}."
IMPORT_NO_CURRENT = "У формы «{form}» сейчас нет открытого периода: укажите срок периода."
IMPORT_EMPTY = "В файле нет строк с организациями."
IMPORT_GONE = "Форма или период этого файла больше не действуют: пришлите файл снова."
IMPORT_NO_ORG_ID = "не указан id организации"
IMPORT_UNKNOWN_ORG = "организации с id {id} нет в справочнике"
IMPORT_OUT_OF_SCOPE = "организация не из вашей территории"
IMPORT_WRONG_TYPE_ORG = "форма не для организаций типа «{type}»"
IMPORT_DUPLICATE = "эта организация уже есть в строке {row}"
IMPORT_NOT_ASKED = "«{column}» не спрашивают у организаций типа «{type}»"
IMPORT_NOT_ASKED_WHEN = "«{column}» при таких ответах строки не спрашивают: оставьте ячейку пустой"  # v3 `when`
IMPORT_REFUSED_FILE = "Файл «{file}» не принят, ничего не изменено.\n{problems}"
IMPORT_HEAD = "Файл «{file}»: форма «{form}», период до {period}."
IMPORT_COUNTS = ("Строк: {rows} — новых отчётов {new}, изменённых {changed}, без изменений {unchanged}, "
                 "отклонено {refused}.")
IMPORT_REFUSED_ROWS = "Файл не применён, ничего не изменено. Исправьте строки и пришлите файл снова:"
IMPORT_ROW = "строка {row}, {organization}: {what}"
IMPORT_MORE = "…и ещё {n}"
IMPORT_CHANGES = "Что изменится:"
IMPORT_ABOVE = "⚠ Больше, чем всего по статистике региона у организации (доля выйдет выше 100\u00a0%) — проверьте:"
IMPORT_ABOVE_WHAT = "{header}: {value} при {baseline} по статистике"
IMPORT_NOTHING = "Все цифры файла уже в отчётах: менять нечего."
IMPORT_APPLY_CLI = "Это проверка: ничего не изменено. Чтобы записать, повторите с --apply."
IMPORT_APPLY_CHAT = "Записать эти цифры? Они будут отмечены как загруженные из файла."
IMPORT_MOVED = ("⚠️ Не записано: пока вы смотрели предпросмотр, отчёты изменились — записать старый предпросмотр "
                "значило бы затереть их. Что изменилось:")
IMPORT_MOVED_SENT = "• {organization}: отчёт прислан — {who}, {at}"
IMPORT_MOVED_RETURNED = "• {organization}: отчёт возвращён на доработку — {who}, {at}"
IMPORT_MOVED_GONE = "• {organization}: отчёт удалён"
SOMEONE = "кто-то"
IMPORT_APPLIED = "Записано из файла «{file}»: новых отчётов {new}, изменённых {changed}."

# -- review and entry on behalf (coordinators) -------------------------------------------------------
COORDINATOR = "Координатор"
BEHALF_NOTE = ("Вы заполняете за организацию «{organization}» отчёт «{title}» за период до {period}: он будет "
               "отмечен как внесённый вами.")
FORM_TARGETS_BEHALF = "Организация по целям дорожной карты:"
BEHALF_NOTICE = ("{name} внёс(ла) за вашу организацию отчёт «{title}» за период до {period} ({organization}):\n"
                 "{answers}\nЕсли что-то не так, исправьте: /report.")
# under an organization's view, so «отчёт» is that organization's; ≤ 20 characters: MAX cuts longer labels
BTN_BEHALF = "Заполнить отчёт"
BTN_BEHALF_FIX = "Исправить отчёт"
BTN_RETURN = "Вернуть на доработку"
REPORT_RETURNED = ("Отчёт «{title}» за период до {period} возвращён координатором на доработку: «{comment}». "
                   "Пока он не исправлен, он не учитывается в сводке. Исправить его?")
RETURN_ASK = ("Возвращаем отчёт «{title}» ({organization}, период до {period}) на доработку. Напишите одним "
              "сообщением, что исправить — администраторы организации получат его с кнопкой «Исправить».")
RETURN_ASK_AGAIN = "Напишите, что исправить в отчёте (одним сообщением), или нажмите «Отмена»."
RETURN_TOO_LONG = "Комментарий длиной {length} символов, можно до {limit}. Сократите его."
RETURN_DONE = "Отчёт «{title}» ({organization}, период до {period}) возвращён на доработку и не учитывается в сводке, пока его не исправят."
RETURN_TOLD = "Администраторы организации ({n}) получили ваш комментарий."
RETURN_NO_ADMIN = "У организации нет зарегистрированного администратора: сообщите ей сами."
RETURN_GONE = "Этот отчёт уже нельзя вернуть: период закрыт или форма изменилась. Откройте /status организации снова."
RETURN_NOT_SENT = "Организация ещё не сдала этот отчёт — возвращать нечего."
RETURN_ALREADY = "Отчёт уже возвращён на доработку: «{comment}»."
RETURNED_NOTICE = ("Отчёт «{title}» ({organization}, период до {period}) возвращён на доработку — {name}:\n«{comment}»\n"
                   "Пока он не исправлен, он не учитывается в сводке.")
SUMMARY_RETURNED = " (возвращён на доработку)"
STATUS_ORG_RETURNED = "возвращён на доработку: «{comment}»"
IMPORT_NOT_COORDINATOR = ("Файлы с цифрами принимаются от координаторов. Чтобы сдать отчёт своей организации, "
                          "нажмите «Сдать отчёт».")
IMPORT_NOT_DOWNLOADED = "Не получилось скачать файл «{name}»: мессенджер не отдал его. Пришлите его ещё раз чуть позже."
IMPORT_TOO_BIG = "Файл «{name}» больше 20 МБ — такой таблицы с цифрами не бывает. Пришлите .xlsx или .csv поменьше."
IMPORT_NOT_FROM_MESSENGER = ("Файл «{name}» лежит не на сервере мессенджера, а бот берёт файлы только оттуда. "
                             "Прикрепите сам файл к сообщению (не ссылку) и пришлите снова.")
IMPORT_NOTHING_PENDING = "Нет файла, ждущего применения. Пришлите файл с цифрами ещё раз."
IMPORT_WAITING = "Файл ждёт решения: нажмите «Применить», чтобы записать цифры, или «Отмена»."
BTN_APPLY = "Применить"
TEMPLATE_TITLE = "Шаблон для загрузки цифр"
TEMPLATE_NOTES = ("Заполните столбцы показателей на первом листе и пришлите файл боту в личные сообщения (или "
                  "оператору для python -m bot import-figures). Столбцы id, «Название» и «Муниципалитет» не меняйте; "
                  "пустая ячейка ничего не меняет; строки других организаций удалите или оставьте пустыми.")
TEMPLATE_CAPTION = "Шаблон для загрузки цифр — {scope}. Заполните и пришлите мне этот файл."
HELP_TEMPLATE = "/template — шаблон Excel для загрузки цифр файлом (пришлите его заполненным)"

# -- talking like a person (a message that is no command) -------------------------------------------
TALK_HELLO = "Здравствуйте!"
TALK_HINT_ADMIN = "Чтобы сдать отчёт, нажмите «Сдать отчёт»; все команды — /help."
TALK_HINT_COORDINATOR = "Сводка по вашей территории — /status; все команды — /help."
TALK_THANKS = "Пожалуйста! Если что-то понадобится — /help."
TALK_THANKS_IN_FORM = "Пожалуйста!"
TALK_HOW_TO_REPORT = ("Нажмите «Сдать отчёт» — бот задаст вопросы по одному, в конце покажет ответы для проверки. "
                      "Ошибку можно исправить и после отправки: снова «Сдать отчёт».")
TALK_REPORT_COORDINATOR = ("Отчёты сдают администраторы организаций. Кто не сдал — в /status; заполнить за организацию "
                           "или вернуть отчёт — /status <организация>; загрузить цифры файлом — /template.")
TALK_DID_YOU_MEAN = "Не знаю «{typed}». Может быть, {command}?"
TALK_NO_COMMAND = "Нет команды {typed}. Список команд — /help."
TALK_FORM_CLOSED = ("Эта форма уже закрыта: отчёт отправлен или отменён. Открыть отчёт снова — «Сдать отчёт».")

# --- the one-screen summary and what is one tap away (issue 16) ------------------------------------
SUMMARY_ALL_HEAD = "Сводка по дорожной карте — {scope}, на {today}"
SUMMARY_LATER = "Позже: ещё {forms}, ближайший срок {due} («{title}»)."  # forms not yet near, in one line
LATER_FORMS = ("форма", "формы", "форм")
SUMMARY_FORM = "«{title}», период до {period}: сдали {reported} из {expected} ({percent})"
SUMMARY_FORM_IMPORT = "«{title}», период до {period}: загружено {reported} из {expected} ({percent})"
SUMMARY_MISSING_LINE = "Не сдали: {names}"
SUMMARY_NOT_STARTED = "; текущий (до {period}) ещё не сдавали"
SUMMARY_AND_MORE = " и ещё {n}"
SUMMARY_RETURNED_SHORT = " (возвращён)"
SUMMARY_MISSING_COUNT = "Не сдали: {orgs} в {munis} из {total}"
SUMMARY_LOWEST_LINE = "Отстают от цели: {names}"
SUMMARY_NO_VALUE = "нет данных"
SUMMARY_ITEMS_COUNTS = "Пункты дорожной карты: просрочено {overdue}, срок в ближайшие 14 дней — {soon}"
ITEMS_BLOCK_WORD = "Пункты дорожной карты:"
ITEMS_BLOCK_OF = "Пункты карты «{title}»:"  # where two roadmaps' items are listed, each block says whose
SUMMARY_ITEM_RECURRING = "• п. {id} «{title}»: {every}, пропущено {missed} из {passed} сроков"
SUMMARY_ITEM_OVERDUE = "• п. {id} «{title}» — просрочен с {due}, не отметили {n}"
SUMMARY_ITEM_SOON = "• п. {id} «{title}» — срок {due}, не отметили {n}"
SUMMARY_ITEM_AWAITING = "• п. {id} «{title}» — отчёт до {due}, не отметили {n}"
SUMMARY_UNREACHABLE = "Не получают сообщения бота: {n} (кто — по кнопке «Кто не сдал»)"
SUMMARY_MORE = "Остальное — по кнопкам ниже."
ITEM_EVERY = {"1w": "еженедельно", "2w": "раз в две недели", "1m": "ежемесячно", "3m": "ежеквартально",
              "6m": "раз в полгода", "1y": "ежегодно", "2y": "раз в два года", "3y": "раз в три года"}
ITEM_EVERY_DATES = "по графику"
ITEM_EVERY_MONTHS = "ежегодно в {months}"  # v3 `months`: «ежегодно в апреле и октябре»
IN_MONTH = ("январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре", "октябре", "ноябре",
            "декабре")
BTN_VIEW_MISSING = "Кто не сдал"
BTN_VIEW_ITEMS = "Пункты"
BTN_VIEW_TYPES = "По типам"
BTN_VIEW_MUNIS = "По муниципалитетам"
BTN_VIEW_ORG = "Организация…"
BTN_VIEW_EXCEL = "Excel"
BTN_VIEW_CHART = "График"
VIEW_MISSING_HEAD = "Кто не сдал — {scope}"
VIEW_MISSING_FORM = "«{title}», период до {period}: не сдали {n} из {expected}"
VIEW_MISSING_NONE = "«{title}», период до {period}: сдали все ({expected})"
VIEW_MISSING_MUNI = "   – {name}: {n} из {expected}"
VIEW_ITEMS_HEAD = "Пункты дорожной карты — {scope}"
VIEW_ITEMS_NONE = "Открытых и просроченных пунктов нет."
VIEW_TYPES_HEAD = "Цели по типам организаций — {scope}"
VIEW_RANKING_HEAD = "Кто отстаёт — {scope}"
VIEW_RANKING = "«{form}», период до {period}, по цели «{title}», сначала отстающие:"
VIEW_RANKING_EMPTY = "   пока никто не сдал"
BTN_VIEW_ORGS = "По организациям"
VIEW_SCOPE_GONE = "Эта сводка больше недоступна: территории нет в справочнике или она вне ваших прав."
STATUS_ASK_ORG = ("Напишите название организации — можно коротко и без «№»: «СОШ 2», «д/с 5», «ЦДТ». "
                  "Или нажмите «Отмена».")
STATUS_ASK_ORG_AGAIN = "Напишите название организации или нажмите «Отмена»."

# What a person in MAX reads instead of words written for both messengers (handlers/context.py `show`): a MAX
# person is never told about ВКонтакте's mentions and communities.
FOR_MAX = {HELP_BIND: HELP_BIND_MAX, BIND_ONLY_IN_CHAT: BIND_ONLY_IN_CHAT_MAX, VK_ADDRESS_NOTE: ""}
