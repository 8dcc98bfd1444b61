"""The offline NLU's English lexicon: cue phrases, answer words, aliases (data only, no logic).

Phrases are written in the NLU's normalised form: lower case, contractions expanded ("don't" is
"do not", "I'm" is "i am"), hyphens as spaces. A trailing ``$`` marks a phrase that counts only
when it stands alone: followed by the end of the message, punctuation or a filler ("no." is an
answer, "no horror" is a constraint). Everything here is general English, written from how people
talk about films and music, never from any simulator's paraphrase file.
"""

from __future__ import annotations


def _phrases(text: str) -> tuple[str, ...]:
    """Comma-separated phrases, in order."""
    return tuple(phrase.strip() for phrase in text.split(",") if phrase.strip())


def _words(text: str) -> frozenset[str]:
    """Comma-separated words or phrases, as a set."""
    return frozenset(_phrases(text))


def _numbers(text: str) -> dict[str, int]:
    """ "first=0, second=1" -> {"first": 0, "second": 1}."""
    pairs = (entry.split("=") for entry in _phrases(text))
    return {key.strip(): int(value) for key, value in pairs}


def _table(text: str) -> dict[str, tuple[str, ...]]:
    """One "key: a, b, c" per line -> {"key": ("a", "b", "c")}."""
    rows = (line.split(":", 1) for line in text.strip().splitlines())
    return {key.strip(): _phrases(values) for key, values in rows}


# --- answers to a question -------------------------------------------------------------------
YES = _phrases(
    """
    yes, yeah, yea, yep, yup, ya, yes please, sure, sure thing, of course, ok$, okay$, alright$,
    all right$, absolutely, definitely, certainly, indeed, totally, for sure, you bet, correct$,
    right$, that is right, exactly, affirmative, why not, i do$, i would$, i am$, i think so,
    i guess so, i suppose so, i guess$, please$, sounds good, sounds great, sounds nice, sounds fine,
    that works, works for me, good idea, great idea, i like it, i like that, i love it, i love that,
    love it, i would like that, i would love that, i would love to, go for it, count me in, i am in$,
    i am down, perfect$, great$, cool$, fine$, good$, yes indeed, it sounds good, that sounds good,
    this sounds good, looks good, looks great, that looks good, that is a yes, a yes, hell yes,
    heck yes, yes from me
    """
)
NO = _phrases(
    """
    no$, nope, nah, no thanks, no thank you, not really, not at all, not much, not particularly,
    not especially, definitely not, absolutely not, certainly not, of course not, i do not$,
    i would not$, i am not$, no way, never$, negative$, not for me, not my thing, not my style,
    not my cup of tea, i do not think so, i do not like it, i do not like that, i hate it, i hate that,
    i would rather not, rather not, not a fan, hardly$, not anymore, no no, no not really,
    no not at all, that is a no, a no, hell no, heck no, god no, not interested, not for me thanks
    """
)
# "No preference": answer None, no values. Single words only when alone ("either drama or
# thriller" is a choice, "either." is not).
NO_PREFERENCE = _phrases(
    """
    i do not mind, do not mind, i do not care$, do not care$, i really do not care$, does not matter, it does not matter,
    no preference, no strong preference, i have no preference, either is fine,
    either one, either way, either$, any$, anything$, whatever, whichever, any of them, any of those,
    any is fine, anything is fine, i do not know, do not know, not sure, no idea, dunno, maybe$,
    perhaps$, up to you, you choose, you decide, you pick, surprise me, makes no difference,
    no opinion, indifferent, both are fine, all are fine, i could go either way, no matter
    """
)
# A multi-value question answered for all offered values at once.
ALL_OFFERED = _phrases(
    """
    both$, all of them, all of those, all of these, all$, i like both, i like all
    """
)
NONE_OFFERED = _phrases(
    """
    none of them, none of those, none of these, none$, neither$, neither of them, neither of those,
    neither one, nothing$, not these, not those, not them, something else, anything else, other ones,
    different ones, something different, do not like any of them, do not like any of these,
    do not like any of those, do not want any of them, not any of them, none of those please,
    like none of them, nothing here, none of the above, other suggestions, any other suggestions,
    other options, other recommendations, more options, not quite$, not quite it, show me others
    """
)

# --- hard constraints: negation ----------------------------------------------------------------
# Negates what follows, up to the end of the clause.
NEGATE_AFTER = _phrases(
    """
    no, not, never, without, nothing, none, neither, nor, no more, hate, hates, hated, i hate, dislike,
    dislikes, disliked, do not like, do not want, does not like, did not like, would not like,
    not a fan of, not into, not in the mood for, can not stand, could not stand, avoid, except,
    excluding, exclude, anything but, anything except, everything but, other than, rather than,
    instead of, tired of, sick of, enough of, skip, minus, stay away from, keep away from, leave out,
    no interest in, not interested in, would rather not, rather not, not too keen on, not keen on,
    do not need, do not show me, spare me, anything that is not, do not care for, i do not care for,
    do not really care for, not much for
    """
)
# Negates what came before, back to the start of the clause ("horror is not for me").
NEGATE_BEFORE = _phrases(
    """
    is not for me, are not for me, not for me, is not my thing, are not my thing, not my thing,
    not my cup of tea, is a no, is out, are out, no thanks, no thank you, please no, is boring,
    are boring, bores me, bore me
    """
)
# Phrases that contain a negation word but negate nothing.
NOT_NEGATING = _phrases(
    """
    do not mind, would not mind, not only, not just, why not, not bad, no problem, not sure, no idea,
    do not know, no preference, not too, no matter, no doubt, have not seen, not seen, never seen,
    have not watched, not watched, never watched, have not heard, not heard, never heard, can not wait,
    not yet, does not matter, do not care, not a problem
    """
)
# Words that end a negation's reach: a contrast or a new clause ("no horror, but comedy").
CONTRAST_WORDS = _words(
    """
    although, but, except, however, instead, though, whereas, yet
    """
)
NEW_CLAUSE_WORDS = _words(
    """
    also, enjoy, give, i, ideally, just, like, love, maybe, only, please, prefer, preferably, rather,
    recommend, show, want, we, you
    """
)

# --- items ------------------------------------------------------------------------------------
SEEN = _phrases(
    """
    seen it, seen that, seen them, seen those, seen this, seen, already seen, have seen, saw it,
    saw that, watched it, watched that, already watched, watched, saw, heard it, heard that, know it,
    know that one, own it
    """
)
ORDINALS = _numbers(
    """
    first=0, 1st=0, top=0, former=0, second=1, 2nd=1, third=2, 3rd=2, fourth=3, 4th=3, fifth=4, 5th=4,
    sixth=5, 6th=5, seventh=6, 7th=6, eighth=7, 8th=7, ninth=8, 9th=8, tenth=9, 10th=9, last=-1,
    final=-1, latter=-1, bottom=-1
    """
)
NUMBER_WORDS = _numbers(
    """
    one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9, ten=10
    """
)
# Words after which a bare number points at a list position ("number 2", "#3", "option 1").
POSITION_MARKERS = _words(
    """
    #, choice, choose, item, no, nr, number, option, pick, take
    """
)
# One-word titles that are also everyday pronouns or particles ("It", "Up", "Her") count only
# when quoted or written with a capital letter inside a sentence.
PRONOUN_LIKE = _words(
    """
    all, anything, both, go, he, her, here, him, how, it, me, no, none, nothing, now, ok, okay, one,
    she, so, something, that, them, then, there, these, they, this, those, up, us, we, what, who, why,
    yes, you
    """
)
# Verbs and nouns of picking an item: no wish of their own.
FEEDBACK_WORDS = _words(
    """
    about, again, already, any, both, choice, choose, come, directed, either, go, last, list, looks,
    neither, none, option, out, pick, released, seems, sounds, stars, take, tell, try, watch, when,
    who, wrote, yourself
    """
)
POINTING = _words(
    """
    her, him, it, that, that one, the one, them, this, this one
    """
)

# --- attribute types ----------------------------------------------------------------------------
# Attribute types whose values are people: matched by surname too, never pluralised.
PERSON_TYPES = _words(
    """
    actor, actors, artist, author, cast, composer, creator, director, producer, star, starring, stars,
    writer
    """
)
# "a Nolan film": a person name right before one of these nouns.
MEDIA_NOUNS = _words(
    """
    album, albums, artist, artists, band, bands, film, films, flick, flicks, movie, movies, music, one,
    ones, picture, pictures, record, records, release, releases, series, show, shows, song, songs,
    stuff, thing, things, title, titles, track, tracks
    """
)

# General English names for common genre and tag values; used only when the value exists in the
# catalog and the alias is not itself one of the catalog's values.
ALIASES = _table(
    """
sci-fi: science fiction, scifi, sci fi, sf
romance: romantic, romances, love stories
comedy: funny, comedic, comedies, humor, humour, laughs
horror: scary, frightening, spooky, creepy, slasher, slashers
thriller: thrilling, suspenseful
animation: animated, cartoon, cartoons, anime
children: kids, kid, family, childrens, for kids, family friendly
documentary: documentaries, docs, docu, non fiction, nonfiction
western: westerns, cowboy, cowboys
mystery: mysteries, whodunit, whodunnit, detective
crime: criminal, gangster, gangsters, heist, heists
film-noir: noir
drama: dramatic, dramas
war: wartime
adventure: adventures, adventurous
fantasy: fantasies, magical
musical: musicals
action: action packed
electronic: electronica, edm, electro
rap: hip hop, hiphop
rnb: r and b, r n b, rhythm and blues
metal: heavy metal
dance: dancing, danceable, dance music
chillout: chill, chill out, chilled, relaxing
singer-songwriter: songwriter, songwriters, singer songwriters
vocalist: vocalists, female vocalists, male vocalists, singer, singers
synthpop: synth pop
britpop: brit pop
instrumental: instrumentals, no vocals
    """
)
# Tags that are verdicts, not wishes ("that sounds great"): never read as a tag in free text.
EVALUATIVE = _words(
    """
    amazing, awesome, bad, best, boring, cool, excellent, fine, fun, good, great, interesting, nice,
    ok, okay, overrated, perfect, predictable, unique
    """
)

# --- years --------------------------------------------------------------------------------------
DECADE_WORDS = _numbers(
    """
    twenties=1920, thirties=1930, forties=1940, fifties=1950, sixties=1960, seventies=1970,
    eighties=1980, nineties=1990, noughties=2000, aughts=2000
    """
)

# --- conversation ---------------------------------------------------------------------------
RESTART = _phrases(
    """
    start over, start again, start from scratch, start afresh, start anew, restart, reset, new search,
    begin again, let us start again, let us start over, clear everything, forget everything,
    from scratch, start a new search, new conversation, start fresh, forget it all, clear all
    """
)
SOCIAL = _words(
    """
    a, afternoon, ah, are, awesome, bye, can, cheers, cool, day, do, evening, going, good, goodbye,
    great, greetings, haha, hello, help, hey, hi, hiya, hmm, how, howdy, is, it, later, lol, lot,
    morning, much, nice, night, oh, ok, okay, please, see, so, sorry, thank, thanks, there, thx, ty,
    uh, um, welcome, well, what, wow, ya, you
    """
)
FILLERS = _words(
    """
    actually, ah, er, erm, guess, haha, hm, hmm, honestly, i, just, lol, mmm, oh, ok, okay, please,
    really, say, so, sorry, thank, thanks, then, think, though, too, uh, um, umm, well, would, you
    """
)
# Function words: never a wish on their own, never a surname or a title without a capital letter.
STOPWORDS = _words(
    """
    a, about, above, after, again, against, all, already, also, am, an, and, any, anyone, anything,
    are, at, be, been, before, being, below, between, bit, both, but, by, can, cool, could, did, do,
    does, doing, down, during, each, else, enjoy, even, ever, everything, few, film, films, find, for,
    from, further, get, give, go, good, got, great, had, has, have, having, he, hello, her, here, hers,
    hey, hi, him, his, how, i, if, in, instead, into, is, it, its, just, kind, kinda, know, less, let,
    like, liked, likes, little, look, looking, lot, lots, love, loved, loves, made, make, many, may,
    maybe, me, might, more, most, movie, movies, much, must, my, myself, need, new, nice, no, nor, not,
    nothing, now, of, off, ok, okay, old, on, once, one, ones, only, or, other, our, ours, out, over,
    own, perhaps, please, prefer, quite, rather, really, recent, recommend, same, see, seen, shall,
    she, should, show, so, some, someone, something, sort, sorta, still, stuff, such, suggest, sure,
    tell, than, thank, thanks, that, the, their, them, then, there, these, they, thing, things, this,
    those, through, to, too, type, under, up, us, very, want, wanted, wants, was, watch, we, well,
    were, what, when, where, which, who, whom, why, will, with, would, yeah, yes, you, your, yours
    """
)
