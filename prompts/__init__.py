"""Prompt templates, shipped as package data of `assistant` (installed as `assistant.prompts`).

Each `NAME.txt` uses `{variable}` fields; `assistant.answer.prompts` is the one loader.
"""
