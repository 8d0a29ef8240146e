"""Small word lists for synthetic records: names common in Sweden, districts, streets and group names. Combined
at random they name nobody in particular; identity numbers are made up (valid in form only)."""

GIVEN_NAMES_M = (
    "Adam", "Ahmed", "Ali", "Alexander", "Amir", "Anton", "Ari", "Axel", "Benjamin", "Bilal", "Carl", "Daniel",
    "David", "Dennis", "Edvin", "Elias", "Emil", "Erik", "Filip", "Gustav", "Hamza", "Hassan", "Hugo", "Ibrahim",
    "Isak", "Jakob", "Jamal", "Jonas", "Kevin", "Leo", "Liam", "Lucas", "Marcus", "Mohammed", "Mustafa", "Noah",
    "Oliver", "Omar", "Oscar", "Rami", "Robin", "Samir", "Simon", "Theo", "Viktor", "William", "Yusuf", "Zakaria",
)  # fmt: skip
GIVEN_NAMES_F = (
    "Alice", "Amina", "Anna", "Astrid", "Ebba", "Elin", "Elsa", "Emma", "Fatima", "Hanna", "Ida", "Johanna",
    "Julia", "Karin", "Lina", "Maja", "Maria", "Nora", "Sara", "Sofia", "Vera", "Wilma", "Yasmin", "Zeynep",
)  # fmt: skip
FAMILY_NAMES = (
    "Abdi", "Ahmadi", "Ali", "Andersson", "Axelsson", "Berg", "Berglund", "Björk", "Dahl", "Ek", "Eriksson",
    "Forsberg", "Fransson", "Gustafsson", "Hansen", "Hassan", "Hedlund", "Holm", "Jansson", "Johansson", "Karimi",
    "Karlsson", "Larsson", "Lind", "Lindqvist", "Lundgren", "Mattsson", "Mohamed", "Nilsson", "Nordin", "Nyberg",
    "Olsson", "Omar", "Persson", "Pettersson", "Rahimi", "Saleh", "Sandberg", "Sjöberg", "Ström", "Svensson",
    "Wallin", "Yilmaz", "Åberg", "Öberg",
)  # fmt: skip
DISTRICTS = (
    "Rosengård", "Lindängen", "Holma", "Kroksbäck", "Hermodsdal", "Seved", "Biskopsgården", "Angered", "Hjällbo",
    "Hammarkullen", "Bergsjön", "Rinkeby", "Tensta", "Husby", "Järva", "Alby", "Fittja", "Gottsunda", "Vivalla",
    "Brickebacken", "Ronna", "Hallonbergen", "Skäggetorp", "Navestad", "Araby", "Nydala",
)  # fmt: skip
STREETS = (
    "Ystadvägen", "Amiralsgatan", "Lantmannagatan", "Bergsgatan", "Rosengårdsstråket", "Storgatan", "Kungsgatan",
    "Drottninggatan", "Skolgatan", "Parkvägen", "Torggatan", "Järvaleden", "Hjällbotorget", "Vivallatorget",
)  # fmt: skip
GROUP_WORDS = (
    "Falken", "Vargen", "Ugglan", "Räven", "Björnen", "Lodjuret", "Gäddan", "Korpen", "Örnen", "Hajen", "Tigern",
    "Kobran", "Skorpionen", "Järven", "Draken", "Lejonet", "Hökarna", "Norr", "Syd", "Öst", "Väst", "Centrum",
)  # fmt: skip
PLACES = (
    "Medborgarhuset", "Stadsdelsbiblioteket", "Polishuset", "Fritidsgården", "Församlingshemmet", "Frivårdskontoret",
    "Kulturhuset", "Idrottshallen",
)  # fmt: skip
