namespace DslUnlearn.Metrics;

/// <summary>
/// The Porter stemmer as NLTK's <c>nltk.stem.porter.PorterStemmer()</c> runs it in its default NLTK_EXTENSIONS
/// mode, which is what Google's rouge_score calls with <c>use_stemmer=True</c> (and so what TOFU and
/// OpenUnlearning's ROUGE see). Written from Porter's 1980 paper and NLTK's documented departures from it:
/// a pool of irregular forms, words of up to 2 letters left alone, "ies"/"ied" on 4-letter words, step 1c's
/// "y -> i" only after a consonant that is not the first letter, "alli" reduced recursively, "bli -> ble",
/// "fulli -> ful", "logi -> log", and the 2-letter vowel-consonant stem counting as *o.
/// Lucene.Net's PorterStemFilter (classic Porter) disagrees with NLTK on 161 of the 11,600 TOFU words longer
/// than 3 letters (e.g. "always": alwai vs alway), so it is not used; this port agrees on all of them
/// (tests/fixtures/rouge).
/// </summary>
public static class PorterStemmer
{
    private static readonly Dictionary<string, string> Irregular = new()
    {
        ["sky"] = "sky", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie",
        ["news"] = "news", ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing",
        ["outing"] = "outing", ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe",
        ["proceed"] = "proceed", ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    /// <summary>The stem of a lowercase word.</summary>
    public static string Stem(string word)
    {
        string w = word.ToLowerInvariant();
        if (Irregular.TryGetValue(w, out var irregular)) return irregular;
        if (w.Length <= 2) return w;
        w = Step1a(w);
        w = Step1b(w);
        w = Step1c(w);
        w = Step2(w);
        w = Step3(w);
        w = Step4(w);
        w = Step5a(w);
        return Step5b(w);
    }

    // A rule: when the word ends with Suffix, the rest (the stem) gets Replacement if Condition holds.
    // The first rule whose suffix matches decides, whether or not its condition holds (Porter's "longest
    // matching suffix" as an ordered list).
    private readonly record struct Rule(string Suffix, string Replacement, Func<string, bool>? Condition);

    private static bool IsConsonant(string w, int i)
    {
        char c = w[i];
        if (c is 'a' or 'e' or 'i' or 'o' or 'u') return false;
        if (c == 'y') return i == 0 || !IsConsonant(w, i - 1);
        return true;
    }

    /// <summary>m in [C](VC)^m[V].</summary>
    private static int Measure(string stem)
    {
        int m = 0;
        for (int i = 1; i < stem.Length; i++)
            if (!IsConsonant(stem, i - 1) && IsConsonant(stem, i)) m++;
        return m;
    }

    private static bool PositiveMeasure(string stem) => Measure(stem) > 0;
    private static bool MeasureAbove1(string stem) => Measure(stem) > 1;

    private static bool ContainsVowel(string stem)
    {
        for (int i = 0; i < stem.Length; i++) if (!IsConsonant(stem, i)) return true;
        return false;
    }

    private static bool EndsDoubleConsonant(string w)
        => w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    /// <summary>*o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also counts a 2-letter vowel-consonant word.</summary>
    private static bool EndsCvc(string w)
        => (w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2) && IsConsonant(w, w.Length - 1)
            && w[^1] is not ('w' or 'x' or 'y'))
           || (w.Length == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1));

    private static string Apply(string word, IEnumerable<Rule> rules)
    {
        foreach (var (suffix, replacement, condition) in rules)
        {
            if (suffix == "*d")
            {
                if (!EndsDoubleConsonant(word)) continue;
                string stem2 = word[..^2];
                return condition is null || condition(stem2) ? stem2 + replacement : word;
            }
            if (!word.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string stem = word[..^suffix.Length];
            return condition is null || condition(stem) ? stem + replacement : word;
        }
        return word;
    }

    private static string Step1a(string w)
    {
        if (w.Length == 4 && w.EndsWith("ies", StringComparison.Ordinal)) return w[..^3] + "ie";
        return Apply(w, [new("sses", "ss", null), new("ies", "i", null), new("ss", "ss", null), new("s", "", null)]);
    }

    private static string Step1b(string w)
    {
        if (w.EndsWith("ied", StringComparison.Ordinal)) return w[..^3] + (w.Length == 4 ? "ie" : "i");
        if (w.EndsWith("eed", StringComparison.Ordinal))
        {
            string s = w[..^3];
            return Measure(s) > 0 ? s + "ee" : w;
        }
        string? stem = null;
        foreach (var suffix in new[] { "ed", "ing" })
            if (w.EndsWith(suffix, StringComparison.Ordinal) && ContainsVowel(w[..^suffix.Length])) { stem = w[..^suffix.Length]; break; }
        if (stem is null) return w;
        char last = stem.Length > 0 ? stem[^1] : '\0';
        return Apply(stem,
        [
            new("at", "ate", null), new("bl", "ble", null), new("iz", "ize", null),
            new("*d", last.ToString(), _ => last is not ('l' or 's' or 'z')),
            new("", "e", s => Measure(s) == 1 && EndsCvc(s)),
        ]);
    }

    private static string Step1c(string w)
        => Apply(w, [new("y", "i", s => s.Length > 1 && IsConsonant(s, s.Length - 1))]);

    private static string Step2(string w)
    {
        if (w.EndsWith("alli", StringComparison.Ordinal) && PositiveMeasure(w[..^4])) return Step2(w[..^4] + "al");
        return Apply(w,
        [
            new("ational", "ate", PositiveMeasure), new("tional", "tion", PositiveMeasure), new("enci", "ence", PositiveMeasure),
            new("anci", "ance", PositiveMeasure), new("izer", "ize", PositiveMeasure), new("bli", "ble", PositiveMeasure),
            new("alli", "al", PositiveMeasure), new("entli", "ent", PositiveMeasure), new("eli", "e", PositiveMeasure),
            new("ousli", "ous", PositiveMeasure), new("ization", "ize", PositiveMeasure), new("ation", "ate", PositiveMeasure),
            new("ator", "ate", PositiveMeasure), new("alism", "al", PositiveMeasure), new("iveness", "ive", PositiveMeasure),
            new("fulness", "ful", PositiveMeasure), new("ousness", "ous", PositiveMeasure), new("aliti", "al", PositiveMeasure),
            new("iviti", "ive", PositiveMeasure), new("biliti", "ble", PositiveMeasure), new("fulli", "ful", PositiveMeasure),
            // NLTK tests the measure of the word minus "ogi" (so the "l" counts), not of the stem before "logi".
            new("logi", "log", _ => PositiveMeasure(w[..^3])),
        ]);
    }

    private static string Step3(string w) => Apply(w,
    [
        new("icate", "ic", PositiveMeasure), new("ative", "", PositiveMeasure), new("alize", "al", PositiveMeasure),
        new("iciti", "ic", PositiveMeasure), new("ical", "ic", PositiveMeasure), new("ful", "", PositiveMeasure),
        new("ness", "", PositiveMeasure),
    ]);

    private static string Step4(string w) => Apply(w,
    [
        new("al", "", MeasureAbove1), new("ance", "", MeasureAbove1), new("ence", "", MeasureAbove1), new("er", "", MeasureAbove1),
        new("ic", "", MeasureAbove1), new("able", "", MeasureAbove1), new("ible", "", MeasureAbove1), new("ant", "", MeasureAbove1),
        new("ement", "", MeasureAbove1), new("ment", "", MeasureAbove1), new("ent", "", MeasureAbove1),
        new("ion", "", s => MeasureAbove1(s) && s.Length > 0 && s[^1] is 's' or 't'),
        new("ou", "", MeasureAbove1), new("ism", "", MeasureAbove1), new("ate", "", MeasureAbove1), new("iti", "", MeasureAbove1),
        new("ous", "", MeasureAbove1), new("ive", "", MeasureAbove1), new("ize", "", MeasureAbove1),
    ]);

    private static string Step5a(string w)
    {
        if (!w.EndsWith('e')) return w;
        string s = w[..^1];
        int m = Measure(s);
        return m > 1 || (m == 1 && !EndsCvc(s)) ? s : w;
    }

    private static string Step5b(string w) => Apply(w, [new("ll", "l", _ => Measure(w[..^1]) > 1)]);
}
