from common.prompts import alpaca_prompt


def test_alpaca_prompt_matches_axolotl():
    from axolotl.prompters import AlpacaPrompter, PromptStyle

    prompter = AlpacaPrompter(PromptStyle.INSTRUCT.value)
    for instruction, input_ in (("Write a function to add two numbers.", ""), ("Reverse it.", "s = 'abc'")):
        expected = next(iter(prompter.build_prompt(instruction, input_ or None)))
        assert alpaca_prompt(instruction, input_) == expected
