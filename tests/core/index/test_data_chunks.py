"""data_chunks.is_data: data (base64, tables of numbers, hex, SVG paths, minified lines) is told from code and prose."""
import base64
import random

import pytest

from repowiki_gui.core.index.data_chunks import is_data

rng = random.Random(7)
BASE64 = "\n".join(base64.b64encode(bytes(rng.randrange(256) for _ in range(57))).decode() for _ in range(12))
NUMBERS = "\n".join(", ".join(f"{rng.uniform(-1e3, 1e3):.4f}" for _ in range(8)) + "," for _ in range(10))
HEX = "static const unsigned char font[] = {\n" + "\n".join(
    "    " + ", ".join(f"0x{rng.randrange(256):02x}" for _ in range(12)) + "," for _ in range(12)) + "\n};"
SVG = ('<path d="M224.446,59.975c-0.056,-4.151 -0.483,-5.543 -2.7,-6.823c-2.104,-1.393 -5.288,-1.421 -8.329,'
       '-0.427l-30.566,10.86c-2.188,0.779 -4.052,2.255 -5.246,4.227l-56.432,93.209c-1.421,2.347 -1.732,5.178 '
       '-0.856,7.777l11.42,33.899c0.846,2.511 2.859,4.479 5.395,5.27l26.77,8.356z"/>')
MINIFIED = "var " + ";".join(f"a{i}=function(b,c){{return b.x{i}*c+{i}}}" for i in range(40)) + ";"

CODE = '''def parse_config(path, defaults=None):
    """Read an INI file and merge it over the defaults."""
    parser = configparser.ConfigParser()
    parser.read(path)
    merged = dict(defaults or {})
    for section in parser.sections():
        merged.update(parser[section])
    return merged
'''
JS = '''export function debounce(fn, wait = 100) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
'''
PROSE = ("Flask is a lightweight WSGI web application framework. It is designed to make getting "
         "started quick and easy, with the ability to scale up to complex applications.\n") * 2
TABLE = ("| option | default | meaning |\n|---|---|---|\n| timeout | 30 | seconds before a request fails |\n"
         "| retries | 3 | attempts before giving up |\n| verbose | false | print every request |\n")
BADGES = ("[![PyPI version](https://img.shields.io/pypi/v/humanize.svg)](https://pypi.org/project/humanize/)\n"
          "[![Downloads](https://img.shields.io/pypi/dm/humanize.svg)](https://pypistats.org/packages/humanize)\n")


@pytest.mark.parametrize("text", [BASE64, NUMBERS, HEX, SVG, MINIFIED],
                         ids=["base64", "numbers", "hex", "svg-path", "minified"])
def test_data_is_left_to_full_text(text):
    assert is_data(text)


@pytest.mark.parametrize("text", [CODE, JS, PROSE, TABLE, BADGES, "x = [1, 2, 3]\n", "0" * 100],
                         ids=["python", "javascript", "prose", "markdown-table", "badges", "short", "short-digits"])
def test_code_and_prose_are_embedded(text):
    assert not is_data(text)


def test_a_function_with_a_small_table_of_numbers_is_still_code():
    assert not is_data(CODE + "\nWEIGHTS = [0.25, 0.5, 0.125, 0.0625]\n")
