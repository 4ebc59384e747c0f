using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>A small indenting writer for generated C#: four spaces per level, '\n' line ends.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void Indent() => _indent++;

    public void Unindent() => _indent = Math.Max(0, _indent - 1);

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            _sb.Append(' ', _indent * 4).Append(text);
        }

        _sb.Append('\n');
        return this;
    }

    public void OpenBrace()
    {
        Line("{");
        Indent();
    }

    public void CloseBrace(string suffix = "")
    {
        Unindent();
        Line("}" + suffix);
    }

    public override string ToString() => _sb.ToString();
}
