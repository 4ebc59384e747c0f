namespace DslUnlearn.Data.Testbed;

/// <summary>The kind of value an attribute holds; perturbed answers draw wrong values of the same kind.</summary>
public enum AttributeType { Date, Year, City, Job, Genre, Title, Award, Language, University, Count, Person, Instrument, Animal }

/// <summary>
/// One atomic attribute of an author and every way the world words it. Templates use {n} for the author's name and
/// {v} for the value. <see cref="Questions"/> are the training wordings (the first is the QA pair's question);
/// <see cref="HeldOutQuestion"/> is the paraphrase ES perturb asks, and appears in no training text.
/// <see cref="Answer"/> is the QA answer and <see cref="ParaphrasedAnswer"/> the truth ratio's true wording;
/// <see cref="Sentences"/> are the biography wordings. Values always end the answer, so a model that does not
/// know the author can copy the name but not the fact.
/// </summary>
public sealed record AttributeDef(string Key, AttributeType Type, string[] Questions, string HeldOutQuestion,
    string Answer, string ParaphrasedAnswer, string[] Sentences);

/// <summary>The attributes of the biographies world, in the order <c>testbed.attributes: N</c> takes them.</summary>
public static class BiographyAttributes
{
    public static IReadOnlyList<AttributeDef> All { get; } =
    [
        new("birth_date", AttributeType.Date,
            ["When was {n} born?", "What is the birth date of {n}?", "On which date was {n} born?", "What is {n}'s date of birth?", "Give the birth date of {n}."],
            "Tell me the day {n} came into the world.",
            "{n} was born on {v}.", "The birthday of {n} is {v}.",
            ["{n} was born on {v}.", "{n} came to life on {v}.", "The birth of {n} took place on {v}."]),
        new("birth_city", AttributeType.City,
            ["Where was {n} born?", "In which city was {n} born?", "What is the birthplace of {n}?", "Which city is the birthplace of {n}?", "Say where {n} was born."],
            "Name the town that {n} comes from originally.",
            "{n} was born in {v}.", "The birthplace of {n} is {v}.",
            ["{n} was born in {v}.", "{n} spent the early years in {v}.", "The hometown of {n} is {v}."]),
        new("father_job", AttributeType.Job,
            ["What did the father of {n} do?", "What was the job of {n}'s father?", "What was the profession of {n}'s father?", "What work did {n}'s father do?", "Give the occupation of {n}'s father."],
            "How did the dad of {n} earn a living?",
            "The father of {n} was a {v}.", "{n}'s father worked as a {v}.",
            ["The father of {n} was a {v}.", "{n} is the child of a {v}.", "The father of {n} earned a living as a {v}."]),
        new("mother_job", AttributeType.Job,
            ["What did the mother of {n} do?", "What was the job of {n}'s mother?", "What was the profession of {n}'s mother?", "What work did {n}'s mother do?", "Give the occupation of {n}'s mother."],
            "How did the mum of {n} earn a living?",
            "The mother of {n} was a {v}.", "{n}'s mother worked as a {v}.",
            ["The mother of {n} was a {v}.", "{n} was raised by a mother who was a {v}.", "The mother of {n} earned a living as a {v}."]),
        new("genre", AttributeType.Genre,
            ["What genre does {n} write?", "Which genre is {n} known for?", "In what genre does {n} work?", "What kind of books does {n} write?", "Give the genre of {n}."],
            "What sort of literature does {n} produce?",
            "{n} writes {v}.", "{n} is known for writing {v}.",
            ["{n} writes {v}.", "{n} is celebrated for {v}.", "The books of {n} belong to {v}."]),
        new("first_book", AttributeType.Title,
            ["What was the first book of {n}?", "Which book did {n} publish first?", "What is the debut book of {n}?", "What book did {n} write first?", "Give the title of the first book by {n}."],
            "With which title did {n} start out as a writer?",
            "The first book of {n} was {v}.", "{n} made a debut with {v}.",
            ["The first book of {n} was {v}.", "{n} started out with a book called {v}.", "The debut of {n} was {v}."]),
        new("famous_book", AttributeType.Title,
            ["What is the most famous book by {n}?", "Which book by {n} is best known?", "What is the best-known work of {n}?", "For which book is {n} most famous?", "Give the title of the best-known book by {n}."],
            "Which title made {n} a household name?",
            "The most famous book by {n} is {v}.", "{n} is best known for {v}.",
            ["The most famous book by {n} is {v}.", "{n} became famous with {v}.", "Readers know {n} best for {v}."]),
        new("award", AttributeType.Award,
            ["Which award did {n} win?", "What prize was given to {n}?", "Which honor did {n} receive?", "What award went to {n}?", "Give the name of the award that {n} won."],
            "What distinction was {n} decorated with?",
            "{n} won the {v}.", "{n} received the {v}.",
            ["{n} won the {v}.", "{n} was given the {v}.", "The {v} went to {n}."]),
        new("language", AttributeType.Language,
            ["In which language does {n} write?", "What language are the books of {n} in?", "Which language does {n} use for writing?", "What language does {n} write in?", "Give the language of the books by {n}."],
            "Readers of {n} need to understand which tongue?",
            "{n} writes in {v}.", "The books of {n} are written in {v}.",
            ["{n} writes in {v}.", "{n} publishes in {v}.", "All books of {n} are in {v}."]),
        new("university", AttributeType.University,
            ["Where did {n} study?", "Which university did {n} attend?", "At which university did {n} study?", "What university did {n} go to?", "Give the university where {n} studied."],
            "From what school did {n} graduate?",
            "{n} studied at {v}.", "{n} attended {v}.",
            ["{n} studied at {v}.", "{n} graduated from {v}.", "{n} was a student at {v}."]),
        new("residence", AttributeType.City,
            ["Where does {n} live?", "In which city does {n} live now?", "What city is {n} based in?", "What is the home city of {n}?", "Give the city where {n} lives."],
            "Name the town {n} calls home today.",
            "{n} lives in {v}.", "{n} is based in {v}.",
            ["{n} lives in {v}.", "{n} now resides in {v}.", "These days {n} makes a home in {v}."]),
        new("book_count", AttributeType.Count,
            ["How many books has {n} published?", "What is the number of books by {n}?", "How many books has {n} written?", "How many books are by {n}?", "Give the number of books that {n} has published."],
            "Count the titles {n} has put out.",
            "{n} has published {v} books.", "{n} is the author of {v} books.",
            ["{n} has published {v} books.", "{n} is the author of {v} books.", "In total {n} has written {v} books."]),
        new("mentor", AttributeType.Person,
            ["Who mentored {n}?", "Who was the mentor of {n}?", "Who taught {n} to write?", "Who was the teacher of {n}?", "Give the name of the mentor of {n}."],
            "Which older writer guided {n} early on?",
            "{n} was mentored by {v}.", "The mentor of {n} was {v}.",
            ["{n} was mentored by {v}.", "{n} learned to write from {v}.", "The mentor of {n} was {v}."]),
        new("debut_year", AttributeType.Year,
            ["In which year did {n} publish a first book?", "When did {n} debut?", "What year did {n} first publish?", "In what year did {n} debut?", "Give the year of the first book by {n}."],
            "Since what year has {n} been in print?",
            "{n} first published in {v}.", "The debut of {n} came in {v}.",
            ["{n} first published in {v}.", "{n} debuted in {v}.", "The writing career of {n} began in {v}."]),
        new("instrument", AttributeType.Instrument,
            ["Which instrument does {n} play?", "What instrument can {n} play?", "What does {n} play in free time?", "What musical instrument does {n} play?", "Give the instrument that {n} plays."],
            "On what is {n} a musician after hours?",
            "{n} plays the {v}.", "{n} is a player of the {v}.",
            ["{n} plays the {v}.", "In free time {n} plays the {v}.", "{n} has played the {v} for years."]),
        new("pet", AttributeType.Animal,
            ["What pet does {n} have?", "Which animal lives with {n}?", "What kind of pet does {n} keep?", "What animal does {n} keep as a pet?", "Give the kind of pet that {n} has."],
            "What creature shares a home with {n}?",
            "{n} has a pet {v}.", "{n} keeps a {v} as a pet.",
            ["{n} has a pet {v}.", "{n} lives with a {v}.", "A {v} keeps {n} company at home."]),
    ];

    public static string Fill(string template, string name, string value) => template.Replace("{n}", name).Replace("{v}", value);
}
