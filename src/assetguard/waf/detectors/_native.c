/* Native SQL lexing for the SQLi detector (assetguard.waf.detectors.sqli_folded).
 *
 * ``lex_folded(text, start_quote="", backslash_escapes=True, skip_prose=False)`` returns the
 * same list of ``Token`` objects as the Python ``lex_folded_python``: the text lexed the way the
 * master pattern of assetguard.waf.detectors.sqli_lexer reads it (Python ``re`` semantics for
 * ``\s``, ``\w`` and ``\d`` on any code point) and folded as it is lexed, including the prose
 * skip of LOW sensitivity, which cuts at exactly the same places. Loop iterations start where the
 * Python loop's do (a single space, a whitespace run, a run of ASCII words, one token), because
 * the prose skip is decided at iteration starts.
 *
 * Word kinds, operators and the names the prose skip looks for are not spelled here: they come
 * from the Python module through ``configure`` (one source of truth); so does the ``Token`` class,
 * whose two slots are filled directly. Tokens are kept as (kind, slice of the text) until the end,
 * so a plain word folded into a run of words never becomes a string.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stddef.h>
#include <string.h>

#define MIN_PROSE 400
#define KEEP_TOKENS 16
#define MAX_WORD 40 /* no keyword, operator or catalog name is longer */

/* ------------------------------------------------------------------ configured tables */

typedef struct {
    char word[MAX_WORD + 1];
    unsigned char len;
    char early; /* kind whatever follows the word, or 0 */
    char late;  /* kind unless a '(' follows, or 0 */
    char hot;   /* a word the prose skip must not leave out */
    char pre;   /* prefilter table: a word that lets text through the SQLi prefilter */
    char func;  /* prefilter table: an SQL function name (through when a '(' follows) */
    char used;
} WordEntry;

#define WORD_SLOTS 1024 /* power of two, several times the number of words */
static WordEntry WORDS[WORD_SLOTS];

#define MAX_NAMES 64
static char CATALOG[MAX_NAMES][MAX_WORD + 1];
static int CATALOG_COUNT = 0;

#define MAX_OPS 64
static char KNOWN_OPS[MAX_OPS][4];
static int KNOWN_COUNT = 0;
static char COMPARISONS[MAX_OPS][4];
static int COMPARISON_COUNT = 0;

static PyTypeObject *TOKEN_TYPE = NULL;
static Py_ssize_t KIND_OFFSET = -1, TEXT_OFFSET = -1;
static PyObject *KIND_STR[128];
static PyObject *EMPTY = NULL;
static PyObject *TEXT_DASHES = NULL, *TEXT_HASH = NULL, *TEXT_SLASH_STAR = NULL, *TEXT_ASSIGN = NULL;

static unsigned int word_hash(const char *s, Py_ssize_t len) {
    unsigned int h = 2166136261u;
    for (Py_ssize_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static WordEntry *table_find(WordEntry *table, const char *s, Py_ssize_t len, int create) {
    if (len <= 0 || len > MAX_WORD)
        return NULL;
    unsigned int i = word_hash(s, len) & (WORD_SLOTS - 1);
    for (int probes = 0; probes < WORD_SLOTS; probes++) {
        WordEntry *e = &table[i];
        if (!e->used) {
            if (!create)
                return NULL;
            memcpy(e->word, s, (size_t)len);
            e->word[len] = 0;
            e->len = (unsigned char)len;
            e->used = 1;
            return e;
        }
        if (e->len == len && memcmp(e->word, s, (size_t)len) == 0)
            return e;
        i = (i + 1) & (WORD_SLOTS - 1);
    }
    return NULL;
}

static WordEntry *word_find(const char *s, Py_ssize_t len, int create) {
    return table_find(WORDS, s, len, create);
}

static int ascii_of(PyObject *s, const char **out, Py_ssize_t *len) {
    if (!PyUnicode_Check(s) || !PyUnicode_IS_ASCII(s)) {
        PyErr_SetString(PyExc_TypeError, "configure: every word must be an ASCII str");
        return -1;
    }
    *out = (const char *)PyUnicode_DATA(s);
    *len = PyUnicode_GET_LENGTH(s);
    if (*len == 0 || *len > MAX_WORD) {
        PyErr_Format(PyExc_ValueError, "configure: word %R is empty or longer than %d", s, MAX_WORD);
        return -1;
    }
    return 0;
}

/* kinds: dict word -> one-character kind; field 0 early, 1 late */
static int load_kinds(PyObject *kinds, int field) {
    if (!PyDict_Check(kinds)) {
        PyErr_SetString(PyExc_TypeError, "configure: kinds must be dicts");
        return -1;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(kinds, &pos, &key, &value)) {
        const char *s;
        Py_ssize_t len;
        if (ascii_of(key, &s, &len) < 0)
            return -1;
        if (!PyUnicode_Check(value) || PyUnicode_GET_LENGTH(value) != 1 || PyUnicode_READ_CHAR(value, 0) > 127) {
            PyErr_SetString(PyExc_ValueError, "configure: a kind is one ASCII character");
            return -1;
        }
        WordEntry *e = word_find(s, len, 1);
        if (e == NULL) {
            PyErr_SetString(PyExc_ValueError, "configure: too many words");
            return -1;
        }
        char kind = (char)PyUnicode_READ_CHAR(value, 0);
        if (field == 0)
            e->early = kind;
        else
            e->late = kind;
    }
    return 0;
}

static int load_names(PyObject *names, char table[][MAX_WORD + 1], int *count, int limit, int flag_hot) {
    PyObject *seq = PySequence_Fast(names, "configure: expected a sequence of words");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *s;
        Py_ssize_t len;
        if (ascii_of(PySequence_Fast_GET_ITEM(seq, i), &s, &len) < 0)
            goto fail;
        if (flag_hot) {
            WordEntry *e = word_find(s, len, 1);
            if (e == NULL) {
                PyErr_SetString(PyExc_ValueError, "configure: too many words");
                goto fail;
            }
            e->hot = 1;
        } else {
            if (*count >= limit) {
                PyErr_SetString(PyExc_ValueError, "configure: too many names");
                goto fail;
            }
            memcpy(table[*count], s, (size_t)len + 1);
            (*count)++;
        }
    }
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(seq);
    return -1;
}

static int load_ops(PyObject *ops, char table[][4], int *count) {
    PyObject *seq = PySequence_Fast(ops, "configure: expected a sequence of operators");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    *count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *op = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(op) || !PyUnicode_IS_ASCII(op) || PyUnicode_GET_LENGTH(op) < 1
            || PyUnicode_GET_LENGTH(op) > 3 || *count >= MAX_OPS) {
            PyErr_SetString(PyExc_ValueError, "configure: operators are 1-3 ASCII characters, at most 64");
            Py_DECREF(seq);
            return -1;
        }
        memcpy(table[*count], PyUnicode_DATA(op), (size_t)PyUnicode_GET_LENGTH(op) + 1);
        (*count)++;
    }
    Py_DECREF(seq);
    return 0;
}

static Py_ssize_t member_offset(PyTypeObject *type, const char *name) {
    PyObject *d = PyDict_GetItemString(type->tp_dict, name);
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type))
        return -1;
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX && m->type != T_OBJECT)
        return -1;
    return m->offset;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *token, *early, *late, *hot, *catalog, *known, *comparisons;
    if (!PyArg_ParseTuple(args, "O!OOOOOO:configure", &PyType_Type, &token, &early, &late, &hot, &catalog,
                          &known, &comparisons))
        return NULL;
    PyTypeObject *type = (PyTypeObject *)token;
    Py_ssize_t kind_offset = member_offset(type, "kind"), text_offset = member_offset(type, "text");
    if (kind_offset < 0 || text_offset < 0 || type->tp_itemsize != 0) {
        PyErr_SetString(PyExc_TypeError, "configure: Token must be a class with __slots__ kind and text");
        return NULL;
    }
    /* The tables are built aside and take effect only when all of them load. */
    static WordEntry words[WORD_SLOTS];
    static char catalog_names[MAX_NAMES][MAX_WORD + 1];
    static char known_ops[MAX_OPS][4], comparison_ops[MAX_OPS][4];
    int catalog_count = 0, known_count = 0, comparison_count = 0;
    memcpy(words, WORDS, sizeof(WORDS));
    memset(WORDS, 0, sizeof(WORDS));
    if (load_kinds(early, 0) < 0 || load_kinds(late, 1) < 0 || load_names(hot, NULL, NULL, 0, 1) < 0
        || load_names(catalog, catalog_names, &catalog_count, MAX_NAMES, 0) < 0
        || load_ops(known, known_ops, &known_count) < 0 || load_ops(comparisons, comparison_ops, &comparison_count) < 0) {
        memcpy(WORDS, words, sizeof(WORDS)); /* the previous tables stay */
        return NULL;
    }
    memcpy(CATALOG, catalog_names, sizeof(CATALOG));
    CATALOG_COUNT = catalog_count;
    memcpy(KNOWN_OPS, known_ops, sizeof(KNOWN_OPS));
    KNOWN_COUNT = known_count;
    memcpy(COMPARISONS, comparison_ops, sizeof(COMPARISONS));
    COMPARISON_COUNT = comparison_count;
    Py_XSETREF(TOKEN_TYPE, (PyTypeObject *)Py_NewRef(token));
    KIND_OFFSET = kind_offset;
    TEXT_OFFSET = text_offset;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ character classes */

/* Python re's classes for str patterns: \s, \w (alnum or '_'), \d (decimal). */
#define IS_SPACE(c) ((c) < 128 ? ((c) == ' ' || ((c) >= 9 && (c) <= 13) || ((c) >= 28 && (c) <= 31)) : Py_UNICODE_ISSPACE(c))
#define IS_WORD(c) ((c) < 128 ? (((c) | 32) >= 'a' && ((c) | 32) <= 'z') || ((c) >= '0' && (c) <= '9') || (c) == '_' \
                              : (Py_UNICODE_ISALNUM(c) != 0))
#define IS_DECIMAL(c) ((c) < 128 ? ((c) >= '0' && (c) <= '9') : Py_UNICODE_ISDECIMAL(c))
#define IS_HEX(c) (((c) >= '0' && (c) <= '9') || (((c) | 32) >= 'a' && ((c) | 32) <= 'f'))
#define IS_ALPHA_ASCII(c) (((c) | 32) >= 'a' && ((c) | 32) <= 'z')
#define IS_OP_CHAR(c) ((c) < 128 && (c) && strchr("=<>!+-*/%^|&~", (int)(c)) != NULL)
/* a character of the master pattern's word group: \w, '$' or any non-ASCII character */
#define IS_WORD_GROUP(c) ((c) >= 128 || (c) == '$' || IS_WORD(c))
/* a character of the prose stretches: [A-Za-z_$ \t\n\r\f\v.,] */
#define IS_PROSE(c) ((c) < 128 && (IS_ALPHA_ASCII(c) || (c) == '_' || (c) == '$' || (c) == ' ' || ((c) >= 9 && (c) <= 13) \
                                   || (c) == '.' || (c) == ','))

/* ------------------------------------------------------------------ lexer state */

enum { TEXT_CONST = 0, TEXT_SLICE = 1, TEXT_LOWER = 2 };

typedef struct {
    char kind;
    char how;          /* TEXT_CONST: obj; TEXT_SLICE: text[a:b]; TEXT_LOWER: text[a:b] lower-cased (ASCII) */
    Py_ssize_t a, b;
    PyObject *obj;     /* owned, TEXT_CONST only */
} Tok;

typedef struct {
    PyObject *text;
    int ukind;
    const void *data;
    Py_ssize_t n;
    Tok *out;
    Py_ssize_t count, cap;
    int cast;
} Lexer;

#define CH(i) PyUnicode_READ(lx->ukind, lx->data, (i))

static void tok_clear(Tok *t) {
    if (t->how == TEXT_CONST)
        Py_CLEAR(t->obj);
}

/* Whether the token's text equals the ASCII string s. */
static int tok_is(Lexer *lx, const Tok *t, const char *s) {
    Py_ssize_t len = (Py_ssize_t)strlen(s);
    if (t->how == TEXT_CONST)
        return PyUnicode_GET_LENGTH(t->obj) == len && PyUnicode_CompareWithASCIIString(t->obj, s) == 0;
    if (t->b - t->a != len)
        return 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = CH(t->a + i);
        if (t->how == TEXT_LOWER && c >= 'A' && c <= 'Z')
            c += 32;
        if (c != (Py_UCS4)(unsigned char)s[i])
            return 0;
    }
    return 1;
}

static int tok_is_sign(Lexer *lx, const Tok *t) {
    return tok_is(lx, t, "-") || tok_is(lx, t, "+") || tok_is(lx, t, "~") || tok_is(lx, t, "!");
}

static int push_raw(Lexer *lx, Tok *t) {
    if (lx->count == lx->cap) {
        Py_ssize_t cap = lx->cap ? lx->cap * 2 : 64;
        Tok *grown = PyMem_Realloc(lx->out, (size_t)cap * sizeof(Tok));
        if (grown == NULL) {
            tok_clear(t);
            PyErr_NoMemory();
            return -1;
        }
        lx->out = grown;
        lx->cap = cap;
    }
    lx->out[lx->count++] = *t;
    return 0;
}

/* _fold_into, then append when not absorbed. Takes ownership of t's reference. */
static int fold_push(Lexer *lx, Tok *t) {
    if (lx->count > 0) {
        Tok *prev = &lx->out[lx->count - 1];
        char pk = prev->kind, k = t->kind;
        if (pk == 'U' && (tok_is(lx, t, "all") || tok_is(lx, t, "distinct"))) {
            tok_clear(t);
            return 0;
        }
        if (k == 'n' && pk == 'o' && tok_is_sign(lx, prev)
            && (lx->count == 1 || strchr("o=L&(,kESF", lx->out[lx->count - 2].kind) != NULL)) {
            tok_clear(prev);
            *prev = *t;
            return 0;
        }
        if (k == 'b' && (pk == 'b' || pk == 'B')) {
            prev->kind = 'B';
            tok_clear(t);
            return 0;
        }
        if (k == '&' && tok_is(lx, t, "not") && (pk == '&' || pk == 'L')) {
            tok_clear(t);
            return 0;
        }
        if (k == 'o' && (pk == 'o' || pk == '=' || pk == 'L') && tok_is_sign(lx, t)) {
            tok_clear(t);
            return 0;
        }
        if (k == 'c' && pk == 'c') {
            tok_clear(t);
            return 0;
        }
        if (pk == 'c' && tok_is(lx, prev, "/*")) {
            tok_clear(prev);
            lx->count--;
        }
    }
    return push_raw(lx, t);
}

/* One lexed token: a type name after a ``::`` cast is dropped, the rest folded. */
static int emit(Lexer *lx, char kind, int how, Py_ssize_t a, Py_ssize_t b, PyObject *obj) {
    Tok t = {kind, (char)how, a, b, obj};
    if (lx->cast) {
        lx->cast = 0;
        if (kind == 'b' || kind == 'f' || kind == 'k' || kind == 'B') {
            tok_clear(&t);
            return 0;
        }
    }
    return fold_push(lx, &t);
}

static int emit_const(Lexer *lx, char kind, PyObject *obj) {
    return emit(lx, kind, TEXT_CONST, 0, 0, Py_NewRef(obj));
}

/* text[a:b] lower-cased: kept as a slice when ASCII, else made now with str.lower. */
static int emit_lower(Lexer *lx, char kind, Py_ssize_t a, Py_ssize_t b) {
    for (Py_ssize_t i = a; i < b; i++) {
        if (CH(i) >= 128) {
            PyObject *part = PyUnicode_Substring(lx->text, a, b);
            if (part == NULL)
                return -1;
            PyObject *low = PyObject_CallMethod(part, "lower", NULL);
            Py_DECREF(part);
            if (low == NULL)
                return -1;
            return emit(lx, kind, TEXT_CONST, 0, 0, low);
        }
    }
    return emit(lx, kind, TEXT_LOWER, a, b, NULL);
}

/* ------------------------------------------------------------------ pieces of the master pattern */

/* _STRING_BODY: the index of the closing quote of a string whose body starts at i (n if none). */
static Py_ssize_t string_body_end(Lexer *lx, Py_ssize_t i, Py_UCS4 quote, int backslash_escapes) {
    Py_ssize_t n = lx->n;
    while (i < n) {
        Py_UCS4 c = CH(i);
        if (c == '\\' && backslash_escapes) {
            i += 2; /* an escape, or a backslash ending the text */
            continue;
        }
        if (c == quote) {
            if (i + 1 < n && CH(i + 1) == quote) {
                i += 2;
                continue;
            }
            return i;
        }
        i++;
    }
    return n;
}

/* _PAREN_AFTER at i: spaces or empty comments ("/" "**" "/"), then "(" */
static int paren_after(Lexer *lx, Py_ssize_t i) {
    Py_ssize_t n = lx->n;
    while (i < n) {
        Py_UCS4 c = CH(i);
        if (c == '(')
            return 1;
        if (IS_SPACE(c)) {
            i++;
        } else if (c == '/' && i + 3 < n && CH(i + 1) == '*' && CH(i + 2) == '*' && CH(i + 3) == '/') {
            i += 4;
        } else {
            return 0;
        }
    }
    return 0;
}

/* SELECT or VALUES at i followed by a word boundary, IGNORECASE (which also reads U+017F LONG S as s). */
static int set_keyword_at(Lexer *lx, Py_ssize_t i) {
    static const char *words[] = {"select", "values"};
    for (int w = 0; w < 2; w++) {
        const char *s = words[w];
        Py_ssize_t len = 6, k;
        if (i + len > lx->n)
            continue;
        for (k = 0; k < len; k++) {
            Py_UCS4 c = CH(i + k);
            if (c < 128 && (c | 32) == (Py_UCS4)s[k])
                continue;
            if (c == 0x17F && s[k] == 's')
                continue;
            break;
        }
        if (k == len && (i + len == lx->n || !IS_WORD(CH(i + len))))
            return 1;
    }
    return 0;
}

/* _SET_OPERAND at i: spaces and one-line inline comments, then SELECT or VALUES as a whole word
 * (the regex reads comments without DOTALL). The regex backtracks into every way of reading the
 * comments, so this marks every position reachable by a space or by a comment ending at any later
 * "*" "/" on the same line, and asks whether a keyword starts at one of them. */
static int set_operand(Lexer *lx, Py_ssize_t start, int *error) {
    Py_ssize_t n = lx->n;
    char *reach = PyMem_Calloc((size_t)(n - start + 2), 1);
    if (reach == NULL) {
        PyErr_NoMemory();
        *error = 1;
        return 0;
    }
    int found = 0;
    Py_ssize_t scanned_to = -1; /* "*" "/" ends up to here are marked already */
    reach[0] = 1;
    for (Py_ssize_t p = start; p <= n && !found; p++) {
        if (!reach[p - start])
            continue;
        if (set_keyword_at(lx, p)) {
            found = 1;
            break;
        }
        if (p >= n)
            break;
        Py_UCS4 c = CH(p);
        if (IS_SPACE(c)) {
            reach[p + 1 - start] = 1;
        } else if (c == '/' && p + 1 < n && CH(p + 1) == '*') {
            Py_ssize_t q = p + 2 > scanned_to ? p + 2 : scanned_to;
            for (; q + 1 < n; q++) {
                Py_UCS4 d = CH(q);
                if (d == '\n')
                    break;
                if (d == '*' && CH(q + 1) == '/')
                    reach[q + 2 - start] = 1;
            }
            if (q > scanned_to)
                scanned_to = q;
        }
    }
    PyMem_Free(reach);
    return found;
}

/* The kind of the word text[a:b] (lower-cased in low, ASCII, or NULL when it is not) followed by text[b:]. */
static char word_kind(Lexer *lx, const char *low, Py_ssize_t len, Py_ssize_t b, int *error) {
    WordEntry *e = low ? word_find(low, len, 0) : NULL;
    if (e && e->early)
        return e->early;
    if (low && ((len == 6 && memcmp(low, "except", 6) == 0) || (len == 9 && memcmp(low, "intersect", 9) == 0))) {
        if (set_operand(lx, b, error))
            return 'U';
        if (*error)
            return 0;
    }
    if (paren_after(lx, b))
        return 'f';
    if (e && e->late)
        return e->late;
    return 'b';
}

/* A word token text[a:b] (any characters of the word group). */
static int emit_word(Lexer *lx, Py_ssize_t a, Py_ssize_t b) {
    char buf[MAX_WORD + 1];
    Py_ssize_t len = b - a;
    int ascii = 1;
    if (len <= MAX_WORD) {
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 c = CH(a + i);
            if (c >= 128) {
                ascii = 0;
                break;
            }
            buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    } else {
        for (Py_ssize_t i = a; i < b; i++)
            if (CH(i) >= 128) {
                ascii = 0;
                break;
            }
    }
    int error = 0;
    if (ascii) {
        char kind = word_kind(lx, len <= MAX_WORD ? buf : NULL, len, b, &error);
        if (error)
            return -1;
        return emit(lx, kind, TEXT_LOWER, a, b, NULL);
    }
    /* str.lower may turn non-ASCII letters into ASCII ones (KELVIN SIGN is k): look up the result. */
    PyObject *part = PyUnicode_Substring(lx->text, a, b);
    if (part == NULL)
        return -1;
    PyObject *low = PyObject_CallMethod(part, "lower", NULL);
    Py_DECREF(part);
    if (low == NULL)
        return -1;
    const char *s = NULL;
    Py_ssize_t slen = PyUnicode_GET_LENGTH(low);
    if (PyUnicode_IS_ASCII(low) && slen <= MAX_WORD)
        s = (const char *)PyUnicode_DATA(low);
    char kind = word_kind(lx, s, slen, b, &error);
    if (error) {
        Py_DECREF(low);
        return -1;
    }
    return emit(lx, kind, TEXT_CONST, 0, 0, low);
}

/* An ASCII word of a run at i: [a-zA-Z_$][a-zA-Z0-9_$]* not followed by a word-group character.
 * Returns its end, or -1. */
static Py_ssize_t run_word_at(Lexer *lx, Py_ssize_t i) {
    Py_ssize_t n = lx->n;
    if (i >= n)
        return -1;
    Py_UCS4 c = CH(i);
    if (!(IS_ALPHA_ASCII(c) || c == '_' || c == '$'))
        return -1;
    Py_ssize_t k = i + 1;
    while (k < n) {
        c = CH(k);
        if (IS_ALPHA_ASCII(c) || (c >= '0' && c <= '9') || c == '_' || c == '$')
            k++;
        else
            break;
    }
    if (k < n && CH(k) >= 128)
        return -1;
    return k;
}

static int op_in(const char table[][4], int count, const char *op) {
    for (int i = 0; i < count; i++)
        if (strcmp(table[i], op) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ the prose skip */

static int catalog_at(const char *s, Py_ssize_t len, Py_ssize_t i) {
    for (int c = 0; c < CATALOG_COUNT; c++) {
        Py_ssize_t cl = (Py_ssize_t)strlen(CATALOG[c]);
        if (i + cl > len || memcmp(s + i, CATALOG[c], (size_t)cl) != 0)
            continue;
        if (i + cl == len)
            return 1;
        char d = s[i + cl];
        if (!(IS_ALPHA_ASCII(d) || (d >= '0' && d <= '9') || d == '_' || d == '$'))
            return 1;
    }
    return 0;
}

/* _after_prose: where to go on after the '.' ending at start inside the prose [.., stop); -1: not yet. */
static Py_ssize_t after_prose(Lexer *lx, Py_ssize_t base, Py_ssize_t start, Py_ssize_t stop, int *error) {
    int amp = 0, run = 0;
    for (Py_ssize_t i = base; i < lx->count; i++) {
        amp |= lx->out[i].kind == '&';
        run |= lx->out[i].kind == 'B';
    }
    if (!amp || !run)
        return -1;
    for (Py_ssize_t i = lx->count > 10 ? lx->count - 10 : 0; i < lx->count; i++)
        if (tok_is(lx, &lx->out[i], "case"))
            return -1;
    Py_ssize_t cut = -1;
    for (Py_ssize_t i = stop - 2; i >= start; i--)
        if (CH(i) == '.') {
            cut = i;
            break;
        }
    cut += 1;
    if (cut <= start)
        return start;
    /* the middle, lower-cased (it is prose: ASCII letters, spaces, '_', '$', '.', ',') */
    Py_ssize_t len = cut - start;
    char *mid = PyMem_Malloc((size_t)len + 1);
    if (mid == NULL) {
        PyErr_NoMemory();
        *error = 1;
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = CH(start + i);
        mid[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    mid[len] = 0;
    Py_ssize_t result = cut;
    int has_from = 0;
    for (Py_ssize_t i = 0; i < len;) {
        char c = mid[i];
        if (c == '.' || c == ',' || c == ' ' || (c >= 9 && c <= 13)) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j < len && !(mid[j] == '.' || mid[j] == ',' || mid[j] == ' ' || (mid[j] >= 9 && mid[j] <= 13)))
            j++;
        WordEntry *e = word_find(mid + i, j - i, 0);
        if (e && e->hot) {
            result = start;
            break;
        }
        i = j;
    }
    if (result == cut) {
        for (Py_ssize_t i = 0; i + 4 <= len; i++)
            if (memcmp(mid + i, "from", 4) == 0) {
                has_from = 1;
                break;
            }
    }
    if (has_from) { /* \bfrom\s+<catalog name>(?![\w$]) */
        for (Py_ssize_t i = 0; i + 4 <= len && result == cut; i++) {
            if (memcmp(mid + i, "from", 4) != 0)
                continue;
            if (i > 0) {
                char p = mid[i - 1];
                if (IS_ALPHA_ASCII(p) || (p >= '0' && p <= '9') || p == '_')
                    continue;
            }
            Py_ssize_t j = i + 4;
            while (j < len && (mid[j] == ' ' || (mid[j] >= 9 && mid[j] <= 13)))
                j++;
            if (j > i + 4 && catalog_at(mid, len, j))
                result = start;
        }
    }
    PyMem_Free(mid);
    return result;
}

/* ------------------------------------------------------------------ the lexer */

static int lex(Lexer *lx, Py_UCS4 start_quote, int backslash_escapes, int skip_prose) {
    Py_ssize_t n = lx->n, pos = 0;
    /* Prose stretches (maximal runs of at least MIN_PROSE prose characters), in text order. */
    Py_ssize_t *spans = NULL, span_count = 0, span_next = 0, span_cap = 0;
    Py_ssize_t prose_end = -1, prose_base = 0, stop = 0;
    int rc = -1;
    if (skip_prose && n >= MIN_PROSE) {
        Py_ssize_t i = 0;
        while (i < n) {
            if (!IS_PROSE(CH(i))) {
                i++;
                continue;
            }
            Py_ssize_t j = i;
            while (j < n && IS_PROSE(CH(j)))
                j++;
            if (j - i >= MIN_PROSE) {
                if (span_count == span_cap) {
                    span_cap = span_cap ? span_cap * 2 : 8;
                    Py_ssize_t *grown = PyMem_Realloc(spans, (size_t)span_cap * 2 * sizeof(Py_ssize_t));
                    if (grown == NULL) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    spans = grown;
                }
                spans[2 * span_count] = i;
                spans[2 * span_count + 1] = j;
                span_count++;
            }
            i = j;
        }
    }
    if (start_quote) {
        Py_ssize_t end = string_body_end(lx, 0, start_quote, backslash_escapes);
        Tok t = {'s', TEXT_SLICE, 0, end, NULL};
        if (push_raw(lx, &t) < 0)
            goto done;
        pos = end + 1;
    }
    while (pos < n) {
        if (span_next < span_count && pos >= spans[2 * span_next]) {
            while (span_next < span_count && pos >= spans[2 * span_next]) {
                stop = spans[2 * span_next + 1];
                span_next++;
            }
            if (stop - pos >= MIN_PROSE) {
                prose_end = stop;
                prose_base = lx->count;
            }
        }
        Py_UCS4 c = CH(pos);
        if (c == ' ') {
            pos++;
            continue;
        }
        if (IS_ALPHA_ASCII(c) || c == '_' || c == '$') {
            Py_ssize_t end = run_word_at(lx, pos);
            if (end >= 0) { /* a run of ASCII words: one iteration, one token per word */
                Py_ssize_t a = pos;
                for (;;) {
                    if (emit_word(lx, a, end) < 0)
                        goto done;
                    Py_ssize_t m = end;
                    while (m < n && (CH(m) == ' ' || (CH(m) >= 9 && CH(m) <= 13)))
                        m++;
                    Py_ssize_t next = m > end ? run_word_at(lx, m) : -1;
                    if (next < 0)
                        break;
                    a = m;
                    end = next;
                }
                pos = end;
                lx->cast = 0;
                continue;
            }
        }
        Py_ssize_t end;
        Py_UCS4 d = pos + 1 < n ? CH(pos + 1) : 0;
        int has_d = pos + 1 < n;
        if (c == '"' || c == '\'') {
            Py_ssize_t body_end = string_body_end(lx, pos + 1, c, backslash_escapes);
            if (emit(lx, 's', TEXT_SLICE, pos + 1, body_end, NULL) < 0)
                goto done;
            pos = body_end + 1;
            continue;
        }
        if (c == '(' || c == ')' || c == ',' || c == ';') {
            if (emit_const(lx, (char)c, KIND_STR[c]) < 0)
                goto done;
            pos++;
            continue;
        }
        if (IS_SPACE(c) || c == 0) {
            end = pos + 1;
            while (end < n && (IS_SPACE(CH(end)) || CH(end) == 0))
                end++;
            pos = end;
            continue;
        }
        if (c == '`') {
            Py_ssize_t close = -1;
            for (Py_ssize_t i = pos + 1; i < n; i++)
                if (CH(i) == '`') {
                    close = i;
                    break;
                }
            if (emit_lower(lx, 'b', pos + 1, close < 0 ? n : close) < 0)
                goto done;
            pos = close < 0 ? n : close + 1;
            continue;
        }
        /* JSON/array operators */
        end = -1;
        if (c == '#' && d == '>')
            end = pos + 2 < n && CH(pos + 2) == '>' ? pos + 3 : pos + 2;
        else if ((c == '@' && (d == '>' || d == '?')) || (c == '<' && d == '@') || (c == '?' && (d == '|' || d == '&')))
            end = pos + 2;
        else if (c == '@' && d == '@') {
            Py_UCS4 e = pos + 2 < n ? CH(pos + 2) : 0;
            if (pos + 2 >= n || !(IS_WORD(e) || e == '$' || e == '.'))
                end = pos + 2;
        }
        if (end >= 0) {
            if (emit(lx, '=', TEXT_SLICE, pos, end, NULL) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (c == '#' || (c == '-' && d == '-')) { /* a comment to the end of the line */
            end = pos + 1;
            while (end < n && CH(end) != '\n')
                end++;
            if (end < n)
                end++;
            if (emit_const(lx, 'c', c == '#' ? TEXT_HASH : TEXT_DASHES) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (c == '/' && d == '*') {
            if (pos + 2 < n && CH(pos + 2) == '!') { /* MySQL's executable comment: lex its inside */
                end = pos + 3;
                while (end < n && IS_DECIMAL(CH(end)))
                    end++;
                pos = end;
                continue;
            }
            end = n;
            for (Py_ssize_t i = pos + 2; i + 1 < n; i++)
                if (CH(i) == '*' && CH(i + 1) == '/') {
                    end = i + 2;
                    break;
                }
            if (emit_const(lx, 'c', TEXT_SLASH_STAR) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (c == '*' && d == '/') {
            pos += 2;
            continue;
        }
        if (c == '0' && has_d && (d == 'x' || d == 'X' || d == 'b' || d == 'B')) {
            end = pos + 2;
            while (end < n && IS_HEX(CH(end)))
                end++;
            if (emit_const(lx, 'n', EMPTY) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (IS_DECIMAL(c) || (c == '.' && has_d && IS_DECIMAL(d))) {
            end = pos + 1;
            while (end < n && (IS_DECIMAL(CH(end)) || CH(end) == '.'))
                end++;
            if (end + 1 < n && (CH(end) == 'e' || CH(end) == 'E')) {
                Py_UCS4 f = CH(end + 1);
                if (IS_DECIMAL(f) || f == '+' || f == '-') {
                    end += 2;
                    while (end < n && IS_DECIMAL(CH(end)))
                        end++;
                }
            }
            if (emit_const(lx, 'n', EMPTY) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (c == '@') { /* a variable: @+[\w$.]* */
            end = pos + 1;
            while (end < n && CH(end) == '@')
                end++;
            while (end < n && (IS_WORD(CH(end)) || CH(end) == '$' || CH(end) == '.'))
                end++;
            if (emit_lower(lx, 'v', pos, end) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (c == '[') { /* a bracketed name: \[[\w $]{0,62}\] */
            Py_ssize_t i = pos + 1;
            while (i < n && i - pos - 1 < 63 && (IS_WORD(CH(i)) || CH(i) == ' ' || CH(i) == '$'))
                i++;
            if (i - pos - 1 <= 62 && i < n && CH(i) == ']') {
                if (emit_lower(lx, 'b', pos + 1, i) < 0)
                    goto done;
                pos = i + 1;
                continue;
            }
            if (emit_const(lx, 'o', KIND_STR['[']) < 0)
                goto done;
            pos++;
            continue;
        }
        if (IS_WORD_GROUP(c)) {
            end = pos + 1;
            while (end < n && IS_WORD_GROUP(CH(end)))
                end++;
            if (emit_word(lx, pos, end) < 0)
                goto done;
            pos = end;
            continue;
        }
        if (IS_OP_CHAR(c)) {
            char op[4] = {(char)c, 0, 0, 0};
            Py_ssize_t len = 1;
            while (len < 3 && pos + len < n) {
                Py_UCS4 e = CH(pos + len);
                if (!IS_OP_CHAR(e))
                    break;
                Py_UCS4 f = pos + len + 1 < n ? CH(pos + len + 1) : 0;
                if ((e == '-' && f == '-') || (e == '/' && f == '*'))
                    break;
                op[len++] = (char)e;
            }
            if (len > 1 && !op_in(KNOWN_OPS, KNOWN_COUNT, op)) {
                /* the longest known operator it starts with */
                while (len > 1) {
                    op[--len] = 0;
                    if (len > 1 && op_in(KNOWN_OPS, KNOWN_COUNT, op))
                        break;
                }
            }
            char kind = (strcmp(op, "&&") == 0 || strcmp(op, "||") == 0) ? '&'
                        : op_in(COMPARISONS, COMPARISON_COUNT, op) ? '='
                                                                   : 'o';
            if (emit(lx, kind, TEXT_SLICE, pos, pos + len, NULL) < 0)
                goto done;
            pos += len;
            continue;
        }
        if (c == ':' && d == ':') {
            lx->cast = 1; /* a ``::type`` cast changes no structure: drop it and its type name */
            pos += 2;
            continue;
        }
        if (c == ':' && d == '=') {
            if (emit_const(lx, 'o', TEXT_ASSIGN) < 0)
                goto done;
            pos += 2;
            continue;
        }
        if (c == '.') {
            end = pos + 1;
            if (end < prose_end && lx->count - prose_base >= KEEP_TOKENS) {
                Tok t = {'.', TEXT_CONST, 0, 0, Py_NewRef(KIND_STR['.'])};
                if (fold_push(lx, &t) < 0)
                    goto done;
                int error = 0;
                Py_ssize_t next = after_prose(lx, prose_base, end, prose_end, &error);
                if (error)
                    goto done;
                if (next >= 0) {
                    pos = next;
                    prose_end = -1; /* one cut per stretch of prose */
                } else {
                    pos = end; /* no '&' kept yet: try again at the next '.' */
                }
                continue;
            }
            if (emit_const(lx, '.', KIND_STR['.']) < 0)
                goto done;
            pos = end;
            continue;
        }
        /* anything else (?, {, }, \, a lone ':') is noise for SQL */
        PyObject *one = PyUnicode_Substring(lx->text, pos, pos + 1);
        if (one == NULL || emit(lx, '?', TEXT_CONST, 0, 0, one) < 0)
            goto done;
        pos++;
    }
    rc = 0;
done:
    PyMem_Free(spans);
    return rc;
}

static PyObject *make_text(Lexer *lx, Tok *t) {
    if (t->how == TEXT_CONST) {
        PyObject *obj = t->obj;
        t->obj = NULL;
        return obj;
    }
    Py_ssize_t b = t->b > lx->n ? lx->n : t->b;
    if (t->how == TEXT_SLICE)
        return PyUnicode_Substring(lx->text, t->a, b);
    PyObject *s = PyUnicode_New(b - t->a, 127);
    if (s == NULL)
        return NULL;
    Py_UCS1 *dst = PyUnicode_1BYTE_DATA(s);
    for (Py_ssize_t i = t->a; i < b; i++) {
        Py_UCS4 c = CH(i);
        *dst++ = (Py_UCS1)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return s;
}

static PyObject *new_token(PyObject *kind, PyObject *text) {
    PyObject *tok = TOKEN_TYPE->tp_alloc(TOKEN_TYPE, 0);
    if (tok == NULL) {
        Py_DECREF(text);
        return NULL;
    }
    *(PyObject **)((char *)tok + KIND_OFFSET) = Py_NewRef(kind);
    *(PyObject **)((char *)tok + TEXT_OFFSET) = text;
    return tok;
}

static PyObject *lex_folded(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"text", "start_quote", "backslash_escapes", "skip_prose", NULL};
    PyObject *text, *quote = NULL;
    int backslash_escapes = 1, skip_prose = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|Upp:lex_folded", keywords, &text, &quote,
                                     &backslash_escapes, &skip_prose))
        return NULL;
    if (TOKEN_TYPE == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "lex_folded: configure() has not been called");
        return NULL;
    }
    Py_UCS4 start_quote = 0;
    if (quote != NULL && PyUnicode_GET_LENGTH(quote) > 0) {
        start_quote = PyUnicode_READ_CHAR(quote, 0);
        if (PyUnicode_GET_LENGTH(quote) != 1 || (start_quote != '\'' && start_quote != '"')) {
            PyErr_SetString(PyExc_ValueError, "lex_folded: start_quote must be '', \"'\" or '\"'");
            return NULL;
        }
    }
    Lexer lx = {text, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), NULL, 0, 0, 0};
    PyObject *result = NULL;
    if (lex(&lx, start_quote, backslash_escapes, skip_prose) == 0) {
        result = PyList_New(lx.count);
        for (Py_ssize_t i = 0; result != NULL && i < lx.count; i++) {
            PyObject *t = make_text(&lx, &lx.out[i]);
            PyObject *tok = t ? new_token(KIND_STR[(unsigned char)lx.out[i].kind], t) : NULL;
            if (tok == NULL)
                Py_CLEAR(result);
            else
                PyList_SET_ITEM(result, i, tok);
        }
    }
    for (Py_ssize_t i = 0; i < lx.count; i++)
        tok_clear(&lx.out[i]);
    PyMem_Free(lx.out);
    return result;
}

/* ------------------------------------------------------------------ the SQLi prefilter on ASCII text */

static WordEntry PRE_WORDS[WORD_SLOTS];
static char PRE_PREFIXES[8][MAX_WORD + 1];
static int PRE_PREFIX_COUNT = 0;
static char TAIL_NAMES[MAX_NAMES][MAX_WORD + 1];
static int TAIL_COUNT = 0;
static int PRE_CONFIGURED = 0;

static int load_flagged(WordEntry *table, PyObject *names, int func) {
    PyObject *seq = PySequence_Fast(names, "configure_prefilter: expected a sequence of words");
    if (seq == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        const char *w;
        Py_ssize_t len;
        WordEntry *e;
        if (ascii_of(PySequence_Fast_GET_ITEM(seq, i), &w, &len) < 0 || (e = table_find(table, w, len, 1)) == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "configure_prefilter: too many words");
            Py_DECREF(seq);
            return -1;
        }
        if (func)
            e->func = 1;
        else
            e->pre = 1;
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *configure_prefilter(PyObject *self, PyObject *args) {
    PyObject *words, *prefixes, *functions, *tail_names;
    if (!PyArg_ParseTuple(args, "OOOO:configure_prefilter", &words, &prefixes, &functions, &tail_names))
        return NULL;
    static WordEntry table[WORD_SLOTS];
    static char prefix_table[8][MAX_WORD + 1];
    static char tail_table[MAX_NAMES][MAX_WORD + 1];
    int prefix_count = 0, tail_count = 0;
    memset(table, 0, sizeof(table));
    if (load_flagged(table, words, 0) < 0 || load_flagged(table, functions, 1) < 0
        || load_names(prefixes, prefix_table, &prefix_count, 8, 0) < 0
        || load_names(tail_names, tail_table, &tail_count, MAX_NAMES, 0) < 0)
        return NULL;
    memcpy(PRE_WORDS, table, sizeof(table));
    memcpy(PRE_PREFIXES, prefix_table, sizeof(prefix_table));
    PRE_PREFIX_COUNT = prefix_count;
    memcpy(TAIL_NAMES, tail_table, sizeof(tail_table));
    TAIL_COUNT = tail_count;
    PRE_CONFIGURED = 1;
    Py_RETURN_NONE;
}

#define A_SPACE(c) ((c) == ' ' || ((c) >= 9 && (c) <= 13) || ((c) >= 28 && (c) <= 31))
#define A_WORD(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || (c) == '_')
#define A_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* [\d'"] \s* (?:[!<>=]?=|<>|<=>) \s* [\d'"] starting with the digit at i (quotes let text through earlier). */
static int comparison_at(const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
    static const char *ops[] = {"<=>", "!=", "<=", ">=", "==", "<>", "="};
    Py_ssize_t k = i + 1;
    while (k < n && A_SPACE(s[k]))
        k++;
    for (int o = 0; o < 7; o++) {
        Py_ssize_t len = (Py_ssize_t)strlen(ops[o]);
        if (k + len > n || memcmp(s + k, ops[o], (size_t)len) != 0)
            continue;
        Py_ssize_t m = k + len;
        while (m < n && A_SPACE(s[m]))
            m++;
        if (m < n && A_DIGIT(s[m]))
            return 1;
    }
    return 0;
}

/* The SQLi detector's prefilter on lower-cased ASCII text, in one pass: one of its pieces, a whole
 * word it lists (or xp_/sp_/utl_ and more), a literal comparison, a number glued to ".e(" or ".e.",
 * an SQL function name before "(" (up to 8 other characters between), or a catalog name or type-limit
 * number ending the last 40 characters (spaces and quotes after it). */
static PyObject *may_be_sqli(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) {
        PyErr_SetString(PyExc_ValueError, "may_be_sqli: the text must be an ASCII str");
        return NULL;
    }
    if (!PRE_CONFIGURED) {
        PyErr_SetString(PyExc_RuntimeError, "may_be_sqli: configure_prefilter() has not been called");
        return NULL;
    }
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    for (Py_ssize_t i = 0; i < n;) {
        unsigned char c = s[i];
        unsigned char d = i + 1 < n ? s[i + 1] : 0;
        switch (c) {
        case '\'': case '"': case '`': case ';': case '#':
            Py_RETURN_TRUE;
        case '-': if (d == '-') Py_RETURN_TRUE; break;
        case '/': if (d == '*') Py_RETURN_TRUE; break;
        case '@': if (d == '@' || d == '>') Py_RETURN_TRUE; break;
        case '&': if (d == '&') Py_RETURN_TRUE; break;
        case '|': if (d == '|') Py_RETURN_TRUE; break;
        case ':': if (d == ':') Py_RETURN_TRUE; break;
        case '<': if (d == '@') Py_RETURN_TRUE; break;
        case '?': if (d == '|' || d == '&') Py_RETURN_TRUE; break;
        default: break;
        }
        if (!A_WORD(c)) {
            i++;
            continue;
        }
        Py_ssize_t j = i + 1, digits = A_DIGIT(c);
        while (j < n && A_WORD(s[j])) {
            digits &= A_DIGIT(s[j]);
            j++;
        }
        /* runs of word characters: \b falls only at their ends */
        WordEntry *e = table_find(PRE_WORDS, (const char *)s + i, j - i, 0);
        if (e && e->pre)
            Py_RETURN_TRUE;
        for (int p = 0; p < PRE_PREFIX_COUNT; p++) {
            Py_ssize_t len = (Py_ssize_t)strlen(PRE_PREFIXES[p]);
            if (j - i > len && memcmp(s + i, PRE_PREFIXES[p], (size_t)len) == 0)
                Py_RETURN_TRUE;
        }
        if (e && e->func) {
            for (Py_ssize_t k = j; k < n && k <= j + 8; k++) {
                if (s[k] == '(')
                    Py_RETURN_TRUE;
                if (A_WORD(s[k]))
                    break;
            }
        }
        if (digits && j + 2 < n && s[j] == '.' && s[j + 1] == 'e' && (s[j + 2] == '(' || s[j + 2] == '.'))
            Py_RETURN_TRUE;
        for (Py_ssize_t k = i; k < j; k++)
            if (A_DIGIT(s[k]) && comparison_at(s, n, k))
                Py_RETURN_TRUE;
        i = j;
    }
    /* _catalog_tail */
    Py_ssize_t lo = n > 40 ? n - 40 : 0, end = n;
    while (end > lo && (A_SPACE(s[end - 1]) || s[end - 1] == '\'' || s[end - 1] == '"' || s[end - 1] == '`'))
        end--;
    for (int t = 0; t < TAIL_COUNT; t++) {
        Py_ssize_t len = (Py_ssize_t)strlen(TAIL_NAMES[t]);
        if (end - len >= lo && memcmp(s + end - len, TAIL_NAMES[t], (size_t)len) == 0)
            Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

/* ------------------------------------------------------------------ the XSS prefilter on ASCII text */

#define MAX_LITERALS 64
static char XSS_LITERALS[MAX_LITERALS][MAX_WORD + 1];
static unsigned char XSS_LITERAL_LEN[MAX_LITERALS];
static int XSS_LITERAL_COUNT = 0;
static unsigned long long XSS_BY_FIRST[128]; /* bit k: literal k starts with this (lower-case) byte */

static PyObject *configure_xss(PyObject *self, PyObject *arg) {
    static char table[MAX_LITERALS][MAX_WORD + 1];
    int count = 0;
    if (load_names(arg, table, &count, MAX_LITERALS, 0) < 0)
        return NULL;
    for (int k = 0; k < count; k++)
        for (const char *c = table[k]; *c; c++)
            if (*c >= 'A' && *c <= 'Z') {
                PyErr_SetString(PyExc_ValueError, "configure_xss: literals are lower-case");
                return NULL;
            }
    memcpy(XSS_LITERALS, table, sizeof(table));
    XSS_LITERAL_COUNT = count;
    memset(XSS_BY_FIRST, 0, sizeof(XSS_BY_FIRST));
    for (int k = 0; k < count; k++) {
        XSS_LITERAL_LEN[k] = (unsigned char)strlen(table[k]);
        XSS_BY_FIRST[(unsigned char)table[k][0] & 127] |= 1ull << k;
    }
    Py_RETURN_NONE;
}

#define LOW(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))

/* whether s[i:] starts with the lower-case ASCII word w, ignoring case */
static int starts_nocase(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, const char *w, Py_ssize_t len) {
    if (i + len > n)
        return 0;
    for (Py_ssize_t k = 0; k < len; k++)
        if (LOW(s[i + k]) != (unsigned char)w[k])
            return 0;
    return 1;
}

/* The XSS detector's prefilter regex on ASCII text (IGNORECASE): its literals, on<3+ letters>\s*=,
 * top/self/parent/frames before a word boundary, --> and --!>, and a quote, spaces and "in" then a
 * space or a member access. */
static PyObject *may_be_xss(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) {
        PyErr_SetString(PyExc_ValueError, "may_be_xss: the text must be an ASCII str");
        return NULL;
    }
    if (XSS_LITERAL_COUNT == 0) {
        PyErr_SetString(PyExc_RuntimeError, "may_be_xss: configure_xss() has not been called");
        return NULL;
    }
    static const char *globals[] = {"top", "self", "parent", "frames"};
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)LOW(s[i]);
        unsigned long long set = XSS_BY_FIRST[c & 127];
        while (set) {
            int k = __builtin_ctzll(set);
            set &= set - 1;
            if (starts_nocase(s, n, i, XSS_LITERALS[k], XSS_LITERAL_LEN[k]))
                Py_RETURN_TRUE;
        }
        if (c == 'o' && i + 1 < n && LOW(s[i + 1]) == 'n') {
            Py_ssize_t j = i + 2;
            while (j < n && IS_ALPHA_ASCII(s[j]))
                j++;
            if (j - i - 2 >= 3) {
                while (j < n && A_SPACE(s[j]))
                    j++;
                if (j < n && s[j] == '=')
                    Py_RETURN_TRUE;
            }
        }
        if (c == 't' || c == 's' || c == 'p' || c == 'f') {
            for (int g = 0; g < 4; g++) {
                Py_ssize_t len = (Py_ssize_t)strlen(globals[g]);
                if (globals[g][0] == (char)c && starts_nocase(s, n, i, globals[g], len) && (i + len == n || !A_WORD(s[i + len])))
                    Py_RETURN_TRUE;
            }
        }
        if (c == '-' && i + 2 < n && s[i + 1] == '-' && (s[i + 2] == '>' || (s[i + 2] == '!' && i + 3 < n && s[i + 3] == '>')))
            Py_RETURN_TRUE;
        if (c == '"' || c == '\'' || c == '`') {
            Py_ssize_t j = i + 1;
            while (j < n && A_SPACE(s[j]))
                j++;
            if (j + 1 < n && LOW(s[j]) == 'i' && LOW(s[j + 1]) == 'n') {
                j += 2;
                if (j < n && A_SPACE(s[j]))
                    Py_RETURN_TRUE;
                while (j < n && (A_WORD(s[j]) || s[j] == '$'))
                    j++;
                while (j < n && A_SPACE(s[j]))
                    j++;
                if (j < n && s[j] == '.')
                    Py_RETURN_TRUE;
            }
        }
    }
    Py_RETURN_FALSE;
}

/* The word gates of detect_xss: bit g set when a word of group g is in the text, ignoring case. */
#define MAX_GATE_WORDS 64
static char GATE_WORDS[MAX_GATE_WORDS][MAX_WORD + 1];
static unsigned char GATE_LEN[MAX_GATE_WORDS], GATE_GROUP[MAX_GATE_WORDS];
static int GATE_COUNT = 0, GATE_GROUPS = 0;
static unsigned long long GATE_BY_FIRST[128];

static PyObject *configure_xss_gates(PyObject *self, PyObject *arg) {
    static char table[MAX_GATE_WORDS][MAX_WORD + 1];
    static unsigned char group_of[MAX_GATE_WORDS];
    PyObject *groups = PySequence_Fast(arg, "configure_xss_gates: expected a sequence of word groups");
    if (groups == NULL)
        return NULL;
    Py_ssize_t ngroups = PySequence_Fast_GET_SIZE(groups);
    int count = 0;
    if (ngroups > 8) {
        PyErr_SetString(PyExc_ValueError, "configure_xss_gates: at most 8 groups");
        goto fail;
    }
    for (Py_ssize_t g = 0; g < ngroups; g++) {
        int before = count;
        if (load_names(PySequence_Fast_GET_ITEM(groups, g), table, &count, MAX_GATE_WORDS, 0) < 0)
            goto fail;
        for (int k = before; k < count; k++) {
            group_of[k] = (unsigned char)g;
            for (const char *c = table[k]; *c; c++)
                if (*c >= 'A' && *c <= 'Z') {
                    PyErr_SetString(PyExc_ValueError, "configure_xss_gates: words are lower-case");
                    goto fail;
                }
        }
    }
    Py_DECREF(groups);
    memcpy(GATE_WORDS, table, sizeof(table));
    memcpy(GATE_GROUP, group_of, sizeof(group_of));
    GATE_COUNT = count;
    GATE_GROUPS = (int)ngroups;
    memset(GATE_BY_FIRST, 0, sizeof(GATE_BY_FIRST));
    for (int k = 0; k < count; k++) {
        GATE_LEN[k] = (unsigned char)strlen(table[k]);
        GATE_BY_FIRST[(unsigned char)table[k][0] & 127] |= 1ull << k;
    }
    Py_RETURN_NONE;
fail:
    Py_DECREF(groups);
    return NULL;
}

static PyObject *xss_gates(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) {
        PyErr_SetString(PyExc_ValueError, "xss_gates: the text must be an ASCII str");
        return NULL;
    }
    if (GATE_GROUPS == 0) {
        PyErr_SetString(PyExc_RuntimeError, "xss_gates: configure_xss_gates() has not been called");
        return NULL;
    }
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    unsigned int all = (1u << GATE_GROUPS) - 1, found = 0;
    unsigned long long open = GATE_COUNT >= 64 ? ~0ull : (1ull << GATE_COUNT) - 1; /* words of groups not yet found */
    for (Py_ssize_t i = 0; i < n && found != all; i++) {
        unsigned long long set = GATE_BY_FIRST[LOW(s[i]) & 127] & open;
        while (set) {
            int k = __builtin_ctzll(set);
            set &= set - 1;
            if (starts_nocase(s, n, i, GATE_WORDS[k], GATE_LEN[k])) {
                found |= 1u << GATE_GROUP[k];
                for (int w = 0; w < GATE_COUNT; w++)
                    if (GATE_GROUP[w] == GATE_GROUP[k])
                        open &= ~(1ull << w);
                set &= open;
            }
        }
    }
    return PyLong_FromUnsignedLong(found);
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(Token, early_kinds, late_kinds, hot_words, catalog_names, known_operators, comparisons)"},
    {"lex_folded", (PyCFunction)(void (*)(void))lex_folded, METH_VARARGS | METH_KEYWORDS,
     "lex_folded(text, start_quote='', backslash_escapes=True, skip_prose=False) -> list[Token]"},
    {"configure_prefilter", configure_prefilter, METH_VARARGS,
     "configure_prefilter(words, prefixes, function_names, tail_names)"},
    {"may_be_sqli", may_be_sqli, METH_O, "may_be_sqli(lowered_ascii_text) -> bool"},
    {"configure_xss", configure_xss, METH_O, "configure_xss(literals)"},
    {"may_be_xss", may_be_xss, METH_O, "may_be_xss(ascii_text) -> bool"},
    {"configure_xss_gates", configure_xss_gates, METH_O, "configure_xss_gates(word_groups)"},
    {"xss_gates", xss_gates, METH_O, "xss_gates(ascii_text) -> int (bit g: a word of group g is there)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "assetguard.waf.detectors._native",
                                    "Native SQL lexing for the SQLi detector.", -1, methods};

PyMODINIT_FUNC PyInit__native(void) {
    for (int c = 0; c < 128; c++) {
        KIND_STR[c] = PyUnicode_FromOrdinal(c);
        if (KIND_STR[c] == NULL)
            return NULL;
    }
    EMPTY = PyUnicode_New(0, 0);
    TEXT_DASHES = PyUnicode_InternFromString("--");
    TEXT_HASH = PyUnicode_InternFromString("#");
    TEXT_SLASH_STAR = PyUnicode_InternFromString("/*");
    TEXT_ASSIGN = PyUnicode_InternFromString(":=");
    if (EMPTY == NULL || TEXT_DASHES == NULL || TEXT_HASH == NULL || TEXT_SLASH_STAR == NULL || TEXT_ASSIGN == NULL)
        return NULL;
    return PyModule_Create(&module);
}
