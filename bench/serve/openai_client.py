"""Drives a running `mixtape serve` with OpenAI's official Python client, as its users would.

    python3 bench/serve/openai_client.py BASE_URL API_KEY BASE_MODEL ADAPTER

Checks, each an assertion: the model list holds the base and the adapter; a completion (whole and
streamed) and a chat completion (whole and streamed, with the usage chunk) answer with text, usage
and finish_reason, the streamed text equal to the whole one for greedy decoding; an unknown model is
the client's NotFoundError, a wrong key its AuthenticationError, a bad max_tokens its
BadRequestError. Prints one line per check and 'N passed, 0 failed' at the end.
"""
import sys

import openai

base_url, api_key, base_model, adapter = sys.argv[1:5]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
passed = 0


def check(name, condition, detail=""):
    global passed
    if not condition:
        print(f"FAIL {name}: {detail}")
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


ids = [m.id for m in client.models.list()]
check("models.list holds the base and the adapter", base_model in ids and adapter in ids, ids)

prompt = "Leo ran to the market with"
whole = client.completions.create(model=adapter, prompt=prompt, max_tokens=20, temperature=0)
choice = whole.choices[0]
check("completion has text, usage and a finish_reason",
      choice.finish_reason in ("stop", "length") and whole.usage.completion_tokens > 0, whole)

streamed = client.completions.create(model=adapter, prompt=prompt, max_tokens=20, temperature=0, stream=True)
text = "".join(chunk.choices[0].text for chunk in streamed if chunk.choices)
check("streamed completion equals the whole one", text == choice.text, (text, choice.text))

messages = [{"role": "user", "content": "The frog is"}]
chat = client.chat.completions.create(model=base_model, messages=messages, max_tokens=10, temperature=0)
check("chat completion answers as the assistant",
      chat.choices[0].message.role == "assistant" and chat.usage.total_tokens > 0, chat)

pieces, usage, finish = [], None, None
for chunk in client.chat.completions.create(model=base_model, messages=messages, max_tokens=10, temperature=0,
                                            stream=True, stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        pieces.append(c.delta.content or "")
        finish = c.finish_reason or finish
check("streamed chat equals the whole one, with usage",
      "".join(pieces) == chat.choices[0].message.content and usage is not None and finish is not None,
      ("".join(pieces), chat.choices[0].message.content, usage, finish))

try:
    client.completions.create(model="no-such-model", prompt=prompt, max_tokens=5)
    check("an unknown model is NotFoundError", False, "no error")
except openai.NotFoundError as e:
    check("an unknown model is NotFoundError", e.status_code == 404)

try:
    client.completions.create(model=base_model, prompt=prompt, max_tokens=-1)
    check("a negative max_tokens is BadRequestError", False, "no error")
except openai.BadRequestError as e:
    check("a negative max_tokens is BadRequestError", e.status_code == 400)

try:
    openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
    check("a wrong key is AuthenticationError", False, "no error")
except openai.AuthenticationError as e:
    check("a wrong key is AuthenticationError", e.status_code == 401)

print(f"{passed} passed, 0 failed")
