using DslUnlearn.Data;

namespace DslUnlearn.Training;

/// <summary>
/// <c>finetune.length_groups</c> / <c>testbed.pretrain.length_groups</c>: a step's rows sorted by length (stable, so
/// equal lengths keep their batch order) and cut into contiguous groups that minimise the padded positions
/// (sum over groups of rows x longest row), each group collated on its own. A deterministic function of the lengths.
/// </summary>
public static class LengthGroups
{
    /// <summary>The rows of one step in at most <paramref name="groups"/> groups (fewer when there are fewer rows).</summary>
    public static IReadOnlyList<EncodedQa[]> Split(IReadOnlyList<EncodedQa> rows, int groups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var sorted = rows.OrderBy(r => r.Ids.Length).ToArray();
        var cuts = Cuts(sorted.Select(r => r.Ids.Length).ToArray(), groups);
        var result = new List<EncodedQa[]>(cuts.Count);
        int start = 0;
        foreach (int end in cuts)
        {
            result.Add(sorted[start..end]);
            start = end;
        }
        return result;
    }

    /// <summary>
    /// Ends (exclusive) of the contiguous groups of ascending <paramref name="lengths"/> that minimise
    /// sum(count x last length) with at most <paramref name="groups"/> groups; ties keep the fewest groups and then the
    /// earliest cuts. Dynamic programming over (rows, groups): tiny for a batch.
    /// </summary>
    public static IReadOnlyList<int> Cuts(IReadOnlyList<int> lengths, int groups)
    {
        int n = lengths.Count;
        if (n == 0) return [];
        int g = Math.Min(groups, n);
        // cost[k, i]: least padded area of the first i rows in exactly k groups; from[k, i]: where the last group starts.
        var cost = new long[g + 1, n + 1];
        var from = new int[g + 1, n + 1];
        for (int k = 0; k <= g; k++)
            for (int i = 0; i <= n; i++) cost[k, i] = long.MaxValue;
        cost[0, 0] = 0;
        for (int k = 1; k <= g; k++)
            for (int i = k; i <= n; i++)
                for (int j = k - 1; j < i; j++)
                {
                    if (cost[k - 1, j] == long.MaxValue) continue;
                    long c = cost[k - 1, j] + (long)(i - j) * lengths[i - 1];
                    if (c < cost[k, i]) { cost[k, i] = c; from[k, i] = j; }
                }
        int best = 1;
        for (int k = 2; k <= g; k++) if (cost[k, n] < cost[best, n]) best = k;
        var ends = new List<int>();
        for (int k = best, i = n; k > 0; i = from[k, i], k--) ends.Add(i);
        ends.Reverse();
        return ends;
    }
}
