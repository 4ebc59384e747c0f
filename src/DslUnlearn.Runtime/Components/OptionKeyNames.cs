// How a component option's C# name becomes its YAML key, in one place for the generator (which binds YAML to options)
// and the runtime (whose range checks name the key): compiled into DslUnlearn.Runtime (namespace DslUnlearn.Components)
// and, linked, into the netstandard2.0 generator and the CLI's validate (namespace DslUnlearn.Generators.Dsl).
// Stage keys use CanonicalJson's own rule (StageShape.SnakeCase), which treats digits differently; the two are not merged
// because that would move stored keys.
using System.Text;

#if DSLUNLEARN_GENERATOR
namespace DslUnlearn.Generators.Dsl
#else
namespace DslUnlearn.Components
#endif
{
    /// <summary>"RetainWeight" -> "retain_weight", "LR2Scale" -> "lr2_scale", "KLBeta" -> "kl_beta".</summary>
    public static class OptionKeyNames
    {
        public static string SnakeCase(string name)
        {
            var sb = new StringBuilder(name.Length + 4);
            for (var i = 0; i < name.Length; i++)
            {
                var c = name[i];
                if (char.IsUpper(c))
                {
                    var prevLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                    var nextLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                    var prevUpper = i > 0 && char.IsUpper(name[i - 1]);
                    if (i > 0 && name[i - 1] != '_' && (prevLowerOrDigit || (prevUpper && nextLower)))
                    {
                        sb.Append('_');
                    }

                    sb.Append(char.ToLowerInvariant(c));
                }
                else
                {
                    sb.Append(c);
                }
            }

            return sb.ToString();
        }
    }
}
