using System.Text.Json.Serialization;

namespace DslUnlearn.Specs.Vocabulary;

/// <summary>The unit of a <see cref="StepCount"/>.</summary>
public enum StepUnit
{
    /// <summary>Optimizer steps (a whole number); YAML <c>10</c> or <c>"10 steps"</c>.</summary>
    Steps,
    /// <summary>Passes over the split the loop samples from; YAML <c>"2 epochs"</c>, <c>"0.5 epoch"</c>.</summary>
    Epochs,
    /// <summary>A fraction (0..1) of the run's total optimizer steps; YAML <c>"10%"</c>.</summary>
    FractionOfTotal,
}

/// <summary>
/// A training length or cadence as written in YAML: optimizer steps, epochs, or a percentage of the run's total
/// steps. It is resolved to optimizer steps at run time, once the size of the data (steps per epoch) and the total
/// are known (<see cref="Resolve"/>). A plain integer converts implicitly, so <c>Steps = 10</c> keeps meaning
/// 10 steps; in JSON (stage keys, results) a step count in steps is written as that integer, so existing keys and
/// files do not change.
/// </summary>
[JsonConverter(typeof(StepCountJsonConverter))]
public readonly record struct StepCount(double Value, StepUnit Unit)
{
    public static implicit operator StepCount(int steps) => new(steps, StepUnit.Steps);

    /// <summary><paramref name="epochs"/> passes over the data (may be fractional: 0.5 = half an epoch).</summary>
    public static StepCount OfEpochs(double epochs) => new(epochs, StepUnit.Epochs);

    /// <summary><paramref name="fraction"/> (0..1) of the run's total steps.</summary>
    public static StepCount OfTotal(double fraction) => new(fraction, StepUnit.FractionOfTotal);

    /// <summary>Whether it is zero (in any unit): a cadence or warm-up that is off.</summary>
    public bool IsZero => Value == 0;

    /// <summary>
    /// Optimizer steps: steps as they are; epochs times <paramref name="stepsPerEpoch"/>; a fraction of
    /// <paramref name="totalSteps"/>. Epochs and fractions round to the nearest step (halves up) and a non-zero
    /// value gives at least one step, so "0.5 epoch" of a 3-step epoch is 2 steps and "1%" of 10 steps is 1.
    /// </summary>
    /// <exception cref="InvalidOperationException">A fraction of the total asked for without a total (for the total itself).</exception>
    public int Resolve(int stepsPerEpoch, int? totalSteps = null)
    {
        if (Value == 0) return 0;
        double steps = Unit switch
        {
            StepUnit.Steps => Value,
            StepUnit.Epochs => Value * stepsPerEpoch,
            _ => totalSteps is { } total ? Value * total
                : throw new InvalidOperationException($"{this} is a share of the total number of steps, which is not known here; give steps or epochs."),
        };
        // Round first to 9 digits so that 0.1 * 30 (3.0000000000000004) is 3, not a binary-noise 4 after a ceiling.
        var rounded = Math.Round(Math.Round(steps, 9), MidpointRounding.AwayFromZero);
        return rounded >= int.MaxValue ? int.MaxValue : Math.Max(1, (int)rounded);
    }

    /// <summary>Checks the value (finite, not negative, whole steps, a fraction in 0..1); null when valid, else the problem.</summary>
    public string? Problem()
    {
        if (!double.IsFinite(Value) || Value < 0) return $"must be 0 or more, got {this}";
        if (Unit == StepUnit.Steps && Value != Math.Floor(Value)) return $"must be a whole number of steps, got {this}";
        if (Unit == StepUnit.FractionOfTotal && Value > 1) return $"must be at most 100% of the steps, got {this}";
        return null;
    }

    /// <summary>As YAML writes it: <c>10</c>, <c>2 epochs</c>, <c>0.5 epoch</c>, <c>10%</c>.</summary>
    public override string ToString() => Unit switch
    {
        StepUnit.Steps => Value.ToString("R", CultureInfo.InvariantCulture),
        StepUnit.Epochs => Value.ToString("R", CultureInfo.InvariantCulture) + (Value == 1 || (Value > 0 && Value < 1) ? " epoch" : " epochs"),
        _ => (Value * 100).ToString("R", CultureInfo.InvariantCulture) + "%",
    };

    /// <summary>For summaries: "10 steps", "2 epochs", "10% of the steps".</summary>
    public string Describe() => Unit switch
    {
        StepUnit.Steps => ToString() + " steps",
        StepUnit.Epochs => ToString(),
        _ => ToString() + " of the steps",
    };
}

/// <summary>Writes a <see cref="StepCount"/> in steps as a JSON integer (as the plain int it replaced), any other as its YAML text.</summary>
public sealed class StepCountJsonConverter : JsonConverter<StepCount>
{
    public override StepCount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return new StepCount(reader.GetDouble(), StepUnit.Steps);
        var text = reader.GetString() ?? throw new JsonException("A step count must be a number or a string such as \"2 epochs\".");
        var t = text.Trim();
        if (t.EndsWith('%') && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p)) return StepCount.OfTotal(p / 100);
        var parts = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            if (parts[1] is "epoch" or "epochs") return StepCount.OfEpochs(v);
            if (parts[1] is "step" or "steps") return new StepCount(v, StepUnit.Steps);
        }
        throw new JsonException($"'{text}' is not a step count (10, \"10 steps\", \"2 epochs\" or \"10%\").");
    }

    public override void Write(Utf8JsonWriter writer, StepCount value, JsonSerializerOptions options)
    {
        if (value.Unit == StepUnit.Steps && value.Value == Math.Floor(value.Value) && Math.Abs(value.Value) < 1e15) writer.WriteNumberValue((long)value.Value);
        else writer.WriteStringValue(value.ToString());
    }
}
