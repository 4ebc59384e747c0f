namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The grid/zip expansion both sweep levels share (the options of an 'unlearn'/'attacks' item, and whole experiments):
/// axes in the given order, the zipped ones as one group at the position of the first, the cells in row-major order
/// (the last group varies fastest).
/// </summary>
internal static class SweepGrid
{
    /// <summary>
    /// The cells, each a list of (axis, index of its value) in group order; null when the grid has more than
    /// <paramref name="maxCells"/> cells (<paramref name="overflowAt"/>: the first axis of the group that went over).
    /// </summary>
    public static List<List<(T Axis, int Index)>>? Expand<T>(IReadOnlyList<T> axes, Func<T, bool> isZipped, Func<T, int> size, long maxCells, out T? overflowAt)
    {
        overflowAt = default;
        var groups = new List<List<T>>();
        foreach (var axis in axes)
        {
            var group = isZipped(axis) ? groups.FirstOrDefault(g => isZipped(g[0])) : null;
            if (group is null)
            {
                groups.Add(new List<T> { axis });
            }
            else
            {
                group.Add(axis);
            }
        }

        long count = 1;
        foreach (var g in groups)
        {
            count *= size(g[0]);
            if (count > maxCells)
            {
                overflowAt = g[0];
                return null;
            }
        }

        var cells = new List<List<(T Axis, int Index)>>();
        var choice = new int[groups.Count];
        for (var n = 0; n < count; n++)
        {
            var rest = n;
            for (var g = groups.Count - 1; g >= 0; g--)
            {
                var length = size(groups[g][0]);
                choice[g] = rest % length;
                rest /= length;
            }

            var picks = new List<(T Axis, int Index)>();
            for (var g = 0; g < groups.Count; g++)
            {
                picks.AddRange(groups[g].Select(axis => (axis, choice[g])));
            }

            cells.Add(picks);
        }

        return cells;
    }

    /// <summary>
    /// The zip group's lengths when they differ ("lr has 2, steps has 3", the argument of DSLU0028),
    /// else null: zipped axes vary together, so both sweep levels require the same number of values.
    /// </summary>
    public static string? ZipLengthMismatch<T>(IReadOnlyList<T> zipped, Func<T, string> key, Func<T, int> size)
        => zipped.Select(size).Distinct().Count() > 1 ? string.Join(", ", zipped.Select(a => $"{key(a)} has {size(a)}")) : null;
}
