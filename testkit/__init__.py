"""What tests and benchmarks share, so that neither imports the other: the bot against vkemu in one
process (`harness`), a season of seed 000 driven through the bot (`season`), and the bot and vkemu as
separate processes (`processes`)."""
