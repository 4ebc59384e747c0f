namespace DslUnlearn.Reporting;

/// <summary>CSV quoting (RFC 4180) for every table the reports write.</summary>
internal static class CsvText
{
    /// <summary>The field as is, or quoted with inner quotes doubled when it holds a comma, a quote or a newline.</summary>
    public static string Field(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
