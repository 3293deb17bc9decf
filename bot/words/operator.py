"""What the operator reads at the command line (`python -m bot …`), in Russian."""

ALREADY_RUNNING_COPY = ("Бот с этой базой уже запущен (процесс {pid}) — по копии или жёсткой ссылке на файл {path}: "
                        "у копии та же база людей и очередь, и два бота отвечали бы людям дважды. Остановите первый "
                        "или запускайте копию только после него.")
QUEUED_FOR_RUNNING_BOT = "Бот запущен: сообщения поставлены в его очередь, он отправит их сам в течение секунды."
MAX_TLS_REFUSED = ("Сертификат MAX ({url}) не удалось проверить: установите корневой сертификат Минцифры «Russian Trusted "
                   "Root CA» (gosuslugi.ru/crt) в систему или укажите файл с ним в [max] ca_file.")

# --- the operator's command line ------------------------------------------------------------------
CLI_BAD_MOMENT = ("--at: не понимаю момент «{text}». Пишите «04.12.2026 18:00» (часы региона, {zone}), «04.12.2026» или "
                  "ISO-8601 с поясом: 2026-12-04T18:00+05:00.")
CLI_CANNOT_WRITE = "Не могу записать {path}: {why}. Укажите другой путь в --out."
CLI_FAILED = ("Команда не выполнена: неожиданная ошибка ({kind}). Ничего сверх уже сказанного не изменено; подробности — "
              "в журнале {journal}.")
# what a chat's answer points to, said for the operator at the command line instead (bot/cli.py `for_operator`)
OPERATOR_WORDS = (
    ("например: /export 20.10.2023", "например: --period 20.10.2023"),
    ("Кто не сдал — в /status.", "Кто не сдал — в сводке бота (/status в VK или MAX)."),
    ("Возьмите шаблон: /template — или выгрузку бота (/export).",
     "Возьмите шаблон (в боте: /template) или выгрузку: python -m bot export --scope …"),
    ("Возьмите шаблон: /template.", "Возьмите шаблон (в боте: /template) или выгрузку: python -m bot export --scope …"),
)

# `python -m bot backup` / `restore` (storage/backup.py)
BACKUP_DONE = ("Копия базы сохранена: {path} ({size}); в ней отчётов {submissions}, ответов {figures}. "
               "Она проверена (PRAGMA integrity_check).")
BACKUP_FAILED = "Копия не сделана: {why}"
RESTORE_ASK = ("Восстановление заменит базу {path} содержимым {file}. Остановите бота и повторите с --yes; "
               "текущая база будет сохранена рядом (.before-restore-…).")
RESTORE_RUNNING = "База {path} занята работающим ботом (процесс {pid}): остановите его и повторите."
RESTORE_FAILED = "База не восстановлена: {why}"
RESTORE_DONE = ("База восстановлена: {path}; в ней отчётов {submissions}, ответов {figures}. Прежняя база сохранена: "
                "{kept}. Запустите бота.")
STANDBY = ("Базу PostgreSQL уже обслуживает другой экземпляр бота ({holder}). Этот ждёт в резерве и возьмёт работу "
           "на себя в течение пары секунд, если тот остановится.")
STORAGE_UNUSABLE = "Не могу работать с базой данных {path}: {reason}. {hint}"
STORAGE_HINT_FILE = "Проверьте [storage] path в настройках, права на папку и место на диске."
STORAGE_HINT_PG = ("Проверьте [storage] url в настройках, что сервер PostgreSQL запущен и доступен с этой машины, "
                   "и пароль в переменной PGPASSWORD.")
LEASE_LOST = ("Связь с PostgreSQL потеряна, а с ней и право обслуживать базу: работу мог уже взять резервный "
              "экземпляр. Этот остановлен; служба запустит его снова.")
