#include "app/man_page.h"

#include <QRegularExpression>

namespace ts::app {

using namespace Qt::StringLiterals;

namespace {

// Text for troff: backslashes escaped, a dash that starts a word (an option such as --via, a
// minus) written as \- so it stays an ASCII hyphen-minus that can be searched and pasted;
// dashes inside words (pass-through) stay hyphens.
QString escape(const QString &text)
{
    QString out;
    out.reserve(text.size() + 16);
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'\\') {
            out += u"\\e"_s;
        } else if (c == u'-') {
            const QChar before = i > 0 ? text.at(i - 1) : u' ';
            const bool starts = before.isSpace() || before == u'(' || before == u'['
                                || before == u'-' || before == u'\'' || before == u'"';
            out += starts ? u"\\-"_s : u"-"_s;
        } else {
            out += c;
        }
    }
    return out;
}

// A text line: troff would read a leading '.' or '\'' as a request.
QString textLine(const QString &text)
{
    const QString e = escape(text);
    if (e.startsWith(u'.') || e.startsWith(u'\''))
        return u"\\&"_s + e;
    return e;
}

QString optionSynopsis(const QCommandLineOption &option)
{
    QStringList names;
    for (const QString &name : option.names())
        names << u"\\fB"_s + escape((name.size() == 1 ? u"-"_s : u"--"_s) + name) + u"\\fR"_s;
    QString line = names.join(u", "_s);
    if (!option.valueName().isEmpty())
        line += u" \\fI"_s + escape(option.valueName()) + u"\\fR"_s;
    return line;
}

} // namespace

QString manPageName(const CommandSpec &spec)
{
    QString name = spec.command;
    return name.replace(u' ', u'-');
}

QString manPage(const CommandSpec &spec, const QString &version, const QStringList &seeAlso)
{
    const QString name = manPageName(spec);
    QStringList l;
    l << u".\\\" Generated from app/cli_spec.cpp by tunnelscope_man_page; do not edit."_s;
    l << u".TH %1 1 \"\" \"Tunnelscope %2\" \"User Commands\""_s.arg(escape(name.toUpper()),
                                                                     escape(version));
    l << u".SH NAME"_s << escape(name) + u" \\- "_s + escape(spec.summary);

    l << u".SH SYNOPSIS"_s << u".B "_s + escape(spec.command);
    QString rest = u"[\\fIoptions\\fR]"_s;
    for (const CommandSpec::Positional &p : spec.positionals)
        rest += u" \\fI"_s + escape(p.name) + u"\\fR"_s;
    l << rest;

    l << u".SH DESCRIPTION"_s << textLine(spec.description);
    for (const CommandSpec::Positional &p : spec.positionals)
        l << u".TP"_s << u"\\fI"_s + escape(p.name) + u"\\fR"_s << textLine(p.description);

    l << u".SH OPTIONS"_s;
    for (const QCommandLineOption &option : spec.options) {
        if (option.flags().testFlag(QCommandLineOption::HiddenFromHelp))
            continue;
        l << u".TP"_s << optionSynopsis(option) << textLine(option.description());
    }

    if (!spec.examples.isEmpty()) {
        l << u".SH EXAMPLES"_s;
        for (const CommandSpec::Example &example : spec.examples) {
            l << u".PP"_s << textLine(example.explanation) << u".PP"_s << u".RS"_s << u".nf"_s
              << textLine(example.command) << u".fi"_s << u".RE"_s;
        }
    }

    if (!seeAlso.isEmpty()) {
        QStringList refs;
        for (const QString &page : seeAlso)
            refs << u"\\fB"_s + escape(page) + u"\\fR(1)"_s;
        l << u".SH SEE ALSO"_s << refs.join(u", "_s);
    }
    return l.join(u'\n') + u'\n';
}

} // namespace ts::app
