namespace DslUnlearn.Reporting;

/// <summary>The Markdown table header that the report's tables share: label columns left-aligned, number columns
/// right-aligned.</summary>
internal static class MarkdownText
{
    /// <summary>Appends "| a | b | x | y |" and "|---|---|---:|---:|", each with a newline.</summary>
    public static StringBuilder AppendTableHeader(this StringBuilder sb, IReadOnlyList<string> labels, IReadOnlyList<string> numbers)
    {
        sb.Append('|');
        foreach (var title in labels.Concat(numbers)) sb.Append(' ').Append(title).Append(" |");
        sb.AppendLine();
        sb.Append('|');
        foreach (var _ in labels) sb.Append("---|");
        foreach (var _ in numbers) sb.Append("---:|");
        return sb.AppendLine();
    }
}
