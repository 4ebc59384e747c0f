using System.Text;
using DslUnlearn.Reporting;

namespace DslUnlearn.Tests.Reporting;

/// <summary>The tables' shared Markdown header, written out as the report writers wrote it by hand before.</summary>
public class MarkdownTextTests
{
    private static readonly string N = Environment.NewLine;

    [Fact]
    public void Label_columns_are_left_aligned_and_number_columns_right_aligned()
    {
        Assert.Equal($"| cells | model | n | ES exact forget |{N}|---|---|---:|---:|{N}",
            new StringBuilder().AppendTableHeader(["cells", "model"], ["n", "ES exact forget"]).ToString());
        Assert.Equal($"| model |{N}|---|{N}", new StringBuilder().AppendTableHeader(["model"], []).ToString());
    }
}
