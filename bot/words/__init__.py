"""The vocabulary every layer shares: what a person reads (texts), how numbers and dates are said (format), and the
commands' ids the buttons carry (commands). No logic of the bot's and no screens: those are bot.views, above the
domain."""
