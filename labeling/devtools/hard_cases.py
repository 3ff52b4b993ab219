"""Hard cases of English sentence segmentation, constructed, with the sentences each must give.

The English "Golden Rules" (the 48 cases pySBD is tested against; all of them, expected outputs
kept) and the wider family they stand for in news text: abbreviations before capitalised words and
at sentence end, a.m./p.m., initials, titles, lists, ellipses, quotations and brackets, numbers,
e-mail and web addresses. `python -m labeling compare` scores every segmenter on them and
tests/test_segment.py asserts ours on each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HardCase:
    """One paragraph and the exact sentences it must be cut into."""

    name: str
    text: str
    expected: tuple[str, ...]


def _case(name: str, text: str, *expected: str) -> HardCase:
    return HardCase(name, text, expected or (text,))


GOLDEN_RULES: tuple[HardCase, ...] = (
    _case("GR1 period", "Hello World. My name is Jonas.", "Hello World.", "My name is Jonas."),
    _case("GR2 question mark", "What is your name? My name is Jonas.", "What is your name?", "My name is Jonas."),
    _case("GR3 exclamation point", "There it is! I found it.", "There it is!", "I found it."),
    _case("GR4 one-letter upper-case abbreviation", "My name is Jonas E. Smith."),
    _case("GR5 one-letter lower-case abbreviation", "Please turn to p. 55."),
    _case("GR6 co. inside a sentence", "Were Jane and co. at the party?"),
    _case("GR7 Co. inside a sentence", "They closed the deal with Pitt, Briggs & Co. at noon."),
    _case("GR8 co. at sentence end", "Let's ask Jane and co. They should know.",
          "Let's ask Jane and co.", "They should know."),
    _case("GR9 Co. at sentence end", "They closed the deal with Pitt, Briggs & Co. It closed yesterday.",
          "They closed the deal with Pitt, Briggs & Co.", "It closed yesterday."),
    _case("GR10 Mt. before a name", "I can see Mt. Fuji from here."),
    _case("GR11 St. and st.", "St. Michael's Church is on 5th st. near the light."),
    _case("GR12 possessive Jr.'s", "That is JFK Jr.'s book."),
    _case("GR13 U.S.A. inside a sentence", "I visited the U.S.A. last year."),
    _case("GR14 E.U. at sentence end", "I live in the E.U. How about you?", "I live in the E.U.", "How about you?"),
    _case("GR15 U.S. at sentence end", "I live in the U.S. How about you?", "I live in the U.S.", "How about you?"),
    _case("GR16 U.S. before a capitalised word", "I work for the U.S. Government in Virginia."),
    _case("GR17 U.S. before a lower-case word", "I have lived in the U.S. for 20 years."),
    _case("GR18 a.m. inside, P.M. at end",
          "At 5 a.m. Mr. Smith went to the bank. He left the bank at 6 P.M. Mr. Smith then went to the store.",
          "At 5 a.m. Mr. Smith went to the bank.", "He left the bank at 6 P.M.",
          "Mr. Smith then went to the store."),
    _case("GR19 decimal inside", "She has $100.00 in her bag."),
    _case("GR20 decimal at end", "She has $100.00. It is in her bag.", "She has $100.00.", "It is in her bag."),
    _case("GR21 parenthetical sentence inside",
          "He teaches science (He previously worked for 5 years as an engineer.) at the local University."),
    _case("GR22 e-mail address", "Her email is Jane.Doe@example.com. I sent her an email.",
          "Her email is Jane.Doe@example.com.", "I sent her an email."),
    _case("GR23 web address",
          "The site is: https://www.example.50.com/new-site/awesome_content.html. Please check it out.",
          "The site is: https://www.example.50.com/new-site/awesome_content.html.", "Please check it out."),
    _case("GR24 single quotation inside", "She turned to him, 'This is great.' she said."),
    _case("GR25 double quotation inside", 'She turned to him, "This is great." she said.'),
    _case("GR26 double quotation at end", 'She turned to him, "This is great." She held the book out to show him.',
          'She turned to him, "This is great."', "She held the book out to show him."),
    _case("GR27 !!", "Hello!! Long time no see.", "Hello!!", "Long time no see."),
    _case("GR28 ??", "Hello?? Who is there?", "Hello??", "Who is there?"),
    _case("GR29 !?", "Hello!? Is that you?", "Hello!?", "Is that you?"),
    _case("GR30 ?!", "Hello?! Is that you?", "Hello?!", "Is that you?"),
    _case("GR31 list 1.) no final period", "1.) The first item 2.) The second item",
          "1.) The first item", "2.) The second item"),
    _case("GR32 list 1.) final period", "1.) The first item. 2.) The second item.",
          "1.) The first item.", "2.) The second item."),
    _case("GR33 list 1) no final period", "1) The first item 2) The second item",
          "1) The first item", "2) The second item"),
    _case("GR34 list 1) final period", "1) The first item. 2) The second item.",
          "1) The first item.", "2) The second item."),
    _case("GR35 list 1. no final period", "1. The first item 2. The second item",
          "1. The first item", "2. The second item"),
    _case("GR36 list 1. final period", "1. The first item. 2. The second item.",
          "1. The first item.", "2. The second item."),
    _case("GR37 list with bullets", "• 9. The first item • 10. The second item",
          "• 9. The first item", "• 10. The second item"),
    _case("GR38 list with hyphen bullets", "⁃9. The first item ⁃10. The second item",
          "⁃9. The first item", "⁃10. The second item"),
    _case("GR39 list a. b. c.", "a. The first item b. The second item c. The third list item",
          "a. The first item", "b. The second item", "c. The third list item"),
    _case("GR40 N°. and dotted numbers",
          "You can find it at N°. 1026.253.553. That is where the treasure is.",
          "You can find it at N°. 1026.253.553.", "That is where the treasure is."),
    _case("GR41 Yahoo! inside a sentence", "She works at Yahoo! in the accounting department."),
    _case("GR42 I. as pronoun and as initial",
          "We make a good team, you and I. Did you see Albert I. Jones yesterday?",
          "We make a good team, you and I.", "Did you see Albert I. Jones yesterday?"),
    _case("GR43 ellipsis closing a quotation",
          "Thoreau argues that by simplifying one’s life, “the laws of the universe will appear less complex. . . .”"),
    _case("GR44 ellipsis in brackets", '"Bohr [...] used the analogy of parallel stairways [...]" (Smith 55).'),
    _case("GR45 spaced ellipsis and period at end",
          "If words are left off at the end of a sentence, and that is all that is omitted, indicate the omission "
          "with ellipsis marks (preceded and followed by a space) and then indicate the end of the sentence with a "
          "period . . . . Next sentence.",
          "If words are left off at the end of a sentence, and that is all that is omitted, indicate the omission "
          "with ellipsis marks (preceded and followed by a space) and then indicate the end of the sentence with a "
          "period . . . .",
          "Next sentence."),
    _case("GR46 four dots at end", "I never meant that.... She left the store.",
          "I never meant that....", "She left the store."),
    _case("GR47 ellipses inside",
          "I wasn’t really ... well, what I mean...see . . . what I'm saying, the thing is . . . I didn’t mean it."),
    _case("GR48 period then ellipsis opening the next sentence",
          "One further habit which was somewhat weakened . . . was that of combining words into self-interpreting "
          "compounds. . . . The practice was not abandoned. . . .",
          "One further habit which was somewhat weakened . . . was that of combining words into self-interpreting "
          "compounds.",
          ". . . The practice was not abandoned. . . ."),
)
"""The English Golden Rules, numbered as pySBD numbers them."""

NEWS_FAMILY: tuple[HardCase, ...] = (
    # abbreviations before capitalised words and at sentence end
    _case("U.S. at end, then The", "It moved to the U.S. The company said so.",
          "It moved to the U.S.", "The company said so."),
    _case("U.S. before an agency", "The U.S. Commerce Department said so."),
    _case("U.K. at end, then And", "The deal covers the U.K. And it covers Japan.",
          "The deal covers the U.K.", "And it covers Japan."),
    _case("Inc. at end", "He joined Apple Inc. The company grew.", "He joined Apple Inc.", "The company grew."),
    _case("Inc. inside", "He joined Apple Inc. in 2001."),
    _case("Inc.'s possessive", "Apple Inc.’s shares fell."),
    _case("Corp. before a title", "Acme Corp. Chairman Li spoke."),
    _case("Corp. at end", "Shares of Acme Corp. They fell.", "Shares of Acme Corp.", "They fell."),
    _case("Co. Ltd. at end", "He works at Huawei Technologies Co. Ltd. He left in 2019.",
          "He works at Huawei Technologies Co. Ltd.", "He left in 2019."),
    _case("Jr. inside", "Martin Luther King Jr. spoke."),
    _case("Jr. at end", "It was Martin Luther King Jr. He spoke.", "It was Martin Luther King Jr.", "He spoke."),
    _case("D.C. at end", "He moved to Washington, D.C. The city agreed.",
          "He moved to Washington, D.C.", "The city agreed."),
    _case("Ph.D. inside", "She earned a Ph.D. in physics."),
    _case("abbreviated day range", "The office is open Mon.-Fri. It closes at noon.",
          "The office is open Mon.-Fri.", "It closes at noon."),
    _case("month before a day", "From Jan. 3 to March 31, 2022, licences rose."),
    _case("month day at end", "The deadline is Jan. 15. Then the rules apply.",
          "The deadline is Jan. 15.", "Then the rules apply."),
    _case("No. before a number", "It was the No. 1 chipmaker. It still is.", "It was the No. 1 chipmaker.", "It still is."),
    # a.m. and p.m. in either case
    _case("p.m. at end", "He spoke at 5 p.m. The next day he left.", "He spoke at 5 p.m.", "The next day he left."),
    _case("A.M. at end", "He arrived at 6 A.M. They left at noon.", "He arrived at 6 A.M.", "They left at noon."),
    _case("a.m. before a time zone", "It opens at 9 a.m. ET on Monday."),
    _case("P.M. before a time zone", "The vote is at 10 P.M. Eastern on Monday."),
    _case("p.m. before a day", "The comment period closes at 5 p.m. Friday."),
    _case("p.m. before local time", "Trading ends at 4 p.m. New York time."),
    _case("a.m. before a place's time", "At 9 a.m. Beijing time, the rule took effect."),
    # initials and titles
    _case("initials", "George W. Bush met J. R. Smith. They talked.", "George W. Bush met J. R. Smith.", "They talked."),
    _case("middle initial", "Secretary of State Antony J. Blinken said so."),
    _case("titles", "Dr. Lisa Su leads AMD. Mr. Huang leads Nvidia. Ms. Raimondo met them.",
          "Dr. Lisa Su leads AMD.", "Mr. Huang leads Nvidia.", "Ms. Raimondo met them."),
    _case("political titles", "Gov. Newsom spoke. Sen. Warren agreed. Rep. Smith did too.",
          "Gov. Newsom spoke.", "Sen. Warren agreed.", "Rep. Smith did too."),
    # numbered and lettered lists
    _case("list a) b)", "a) Chips b) Tools", "a) Chips", "b) Tools"),
    _case("list (a) (b)", "(a) The first item (b) The second item", "(a) The first item", "(b) The second item"),
    _case("list (1) (2) (3)", "(1) Chips (2) Tools (3) Software", "(1) Chips", "(2) Tools", "(3) Software"),
    _case("list i. ii.", "i. The first item ii. The second item", "i. The first item", "ii. The second item"),
    _case("enumeration inside a sentence", "The report said: (1) output rose; (2) imports fell; and (3) prices held."),
    _case("list after a colon", "The rules cover: 1. chips 2. tools", "The rules cover: 1. chips", "2. tools"),
    # ellipses
    _case("... before a capital", "It rose... Then it fell.", "It rose...", "Then it fell."),
    _case("… before a capital", "He said it was over… Then he left.", "He said it was over…", "Then he left."),
    _case("… before a lower-case word", "He said it was over … and left."),
    _case("... inside a question", "Wait... what happened? Nothing.", "Wait... what happened?", "Nothing."),
    # quotations and brackets
    _case("sentences inside a quotation", "“Stop. Now,” he said. “Go.”", "“Stop.", "Now,” he said.", "“Go.”"),
    _case("quotation after a colon", "She said: “I did. I really did.”", "She said: “I did.", "I really did.”"),
    _case("question inside a quotation", "“Will it work?” she asked. “Nobody knows.”",
          "“Will it work?” she asked.", "“Nobody knows.”"),
    _case("sentence ending in a quotation", "Mr. Biden said, “We will act.” The rules followed.",
          "Mr. Biden said, “We will act.”", "The rules followed."),
    _case("bracketed sentence", "He said (see p. 4) that it failed. (This was denied.) Then he left.",
          "He said (see p. 4) that it failed.", "(This was denied.)", "Then he left."),
    _case("abbreviations in brackets", "Sen. Marco Rubio (R., Fla.) spoke."),
    # numbers, e-mail and web addresses
    _case("decimals and percent", "It cost $23.5 billion, up 1.5%. Shares fell.",
          "It cost $23.5 billion, up 1.5%.", "Shares fell."),
    _case("e-mail address at end", "Contact press@commerce.gov. The office is closed.",
          "Contact press@commerce.gov.", "The office is closed."),
    _case("domain inside", "Sold on JD.com and Taobao. Then more.", "Sold on JD.com and Taobao.", "Then more."),
    _case("domain at end", "It sold out on JD.com. Huawei said so.", "It sold out on JD.com.", "Huawei said so."),
    _case("web address at end", "Read it at https://www.bis.gov/rules. Comments are due.",
          "Read it at https://www.bis.gov/rules.", "Comments are due."),
    _case("emphatic punctuation", "Really?! Yes!!! OK.", "Really?!", "Yes!!!", "OK."),
)
"""The family the Golden Rules stand for, as it appears in news text."""

CASES: tuple[HardCase, ...] = GOLDEN_RULES + NEWS_FAMILY


def score(fn) -> dict:
    """Which cases a segmenter (paragraph -> spans) gets exactly right, and what it gave."""
    results = {}
    for case in CASES:
        got = tuple(case.text[a:b] for a, b in fn(case.text))
        results[case.name] = {"right": got == case.expected, "sentences": list(got)}
    return results
